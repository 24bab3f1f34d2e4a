"""The fingerprint classifier: patient-level folds, a planted signal found, chance without one,
the same numbers from the same seed, and the exact statistics."""

import numpy as np
import pytest

from biosamples.spectra.domain import classifier
from trialsite.protocols.spectra import Classifier

SMALL = Classifier(degrees=(2, 3), c_values=(0.1, 1.0), coef0=1.0, outer_folds=4,
                   inner_folds=3, permutations=5, seed=7, pca_components=5,
                   age_groups=((18, 50), (50, 65), (65, None)))


def data(patients=40, rows_per_patient=2, features=30, effect=1.5, seed=0):
    """Rows of patients; responders (label 1) have ``effect`` added to three features."""
    rng = np.random.default_rng(seed)
    x, y, groups = [], [], []
    for p in range(patients):
        label = p % 2
        own = rng.normal(0, 0.5, features)  # the patient's own profile, shared by its rows
        for _ in range(rows_per_patient):
            row = own + rng.normal(0, 1.0, features)
            row[:3] += effect * label
            x.append(row)
            y.append(label)
            groups.append(f"P{p:03d}")
    return np.array(x), np.array(y), np.array(groups)


def test_no_patient_is_in_both_training_and_test_folds():
    x, y, groups = data(rows_per_patient=3)
    ages = np.array([40 + (int(g[1:]) * 7) % 40 for g in groups])
    strata = [classifier.age_group_of(a, SMALL.age_groups) for a in ages]
    for fold_strata in (None, strata):
        outer = classifier.patient_folds(y, groups, 4, 1, fold_strata)
        tested = []
        for train, test in outer:
            assert not set(groups[train]) & set(groups[test])
            tested += list(set(groups[test]))
            inner = classifier.patient_folds(y[train], groups[train], 3, 2)
            for inner_train, inner_test in inner:
                assert not set(groups[train][inner_train]) & set(groups[train][inner_test])
        # Every patient is tested exactly once.
        assert sorted(tested) == sorted(set(groups))


def test_the_nested_cv_keeps_patients_whole_in_its_recorded_folds():
    x, y, groups = data(rows_per_patient=3)
    _scores, chosen, outer = classifier.nested_cv_scores(x, y, groups, SMALL, seed=3)
    seen = [p for fold in chosen for p in fold["test_patients"]]
    assert len(seen) == len(set(seen)) == 40


def test_a_planted_signal_is_recovered():
    x, y, groups = data(effect=2.0)
    result = classifier.analyse(x, y, groups, SMALL, seed=11, permutations=5)
    assert result["auc"] > 0.85
    assert result["sensitivity"] > 0.7 and result["specificity"] > 0.7
    assert result["permutation_p_value"] == pytest.approx(1 / 6)  # none of 5 beat it


def test_shuffled_labels_give_an_auc_at_chance():
    aucs = []
    for seed in range(6):
        x, y, groups = data(effect=0.0, seed=100 + seed)
        aucs.append(classifier.analyse(x, y, groups, SMALL, seed=seed, permutations=0)["auc"])
    assert 0.35 < np.mean(aucs) < 0.65


def test_the_same_seed_gives_identical_numbers_and_another_seed_other_folds():
    x, y, groups = data()
    first = classifier.analyse(x, y, groups, SMALL, seed=5, permutations=2)
    again = classifier.analyse(x, y, groups, SMALL, seed=5, permutations=2)
    assert first == again
    other = classifier.analyse(x, y, groups, SMALL, seed=6, permutations=0)
    assert other["folds"] != first["folds"]


def test_too_few_patients_in_a_class_is_refused():
    x, y, groups = data(patients=6)
    with pytest.raises(classifier.AnalysisError, match="3 patients in the smaller class"):
        classifier.nested_cv_scores(x, y, groups, SMALL, seed=1)


def test_age_groups_follow_the_protocols_bounds():
    groups = SMALL.age_groups
    assert [classifier.age_group_of(a, groups) for a in (18, 49, 50, 64, 65, 90, 17)] == [
        0, 0, 1, 1, 2, 2, -1]


def test_exact_interval_matches_the_clopper_pearson_reference():
    # Clopper & Pearson (1934); reference values for 7/10: 0.3475 - 0.9333.
    low, high = classifier.exact_interval(7, 10)
    assert (round(low, 4), round(high, 4)) == (0.3475, 0.9333)
    assert classifier.exact_interval(10, 10)[1] == 1.0


def test_one_sided_test_of_sensitivity_against_the_hypothesis():
    labels = np.array([1] * 20 + [0] * 10)
    # 17 of 20 responders found: P(X <= 17 | n=20, p=0.97) = 1 - P(18) - P(19) - P(20).
    scores = np.array([1.0] * 17 + [-1.0] * 3 + [-1.0] * 10)
    result = classifier.performance(labels, scores, hypothesised_sensitivity=0.97)
    from math import comb
    expected = 1 - sum(comb(20, k) * 0.97 ** k * 0.03 ** (20 - k) for k in (18, 19, 20))
    assert result.sensitivity == 0.85 and result.specificity == 1.0
    assert result.sensitivity_p_value == pytest.approx(expected)
    assert result.roc[0] == (0.0, 0.0) and result.roc[-1] == (1.0, 1.0)


def test_distance_from_baseline_is_euclidean_per_patient():
    fp = {"P1": {"BL": np.array([0.0, 0.0]), "M3": np.array([3.0, 4.0])},
          "P2": {"M3": np.array([1.0, 1.0])}}
    assert classifier.distances_from_baseline(fp, "BL") == {"P1": {"BL": 0.0, "M3": 5.0}}


def test_the_permutations_give_the_same_numbers_in_one_or_two_processes():
    x, y, groups = data()
    one = classifier.analyse(x, y, groups, SMALL, seed=9, permutations=4, jobs=1)
    two = classifier.analyse(x, y, groups, SMALL, seed=9, permutations=4, jobs=2)
    assert one == two
