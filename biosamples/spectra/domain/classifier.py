"""The fingerprint classifier: an SVM with a polynomial kernel (scikit-learn), tuned by nested
cross-validation whose folds are made of whole patients, and the figures the protocol asks for.

Rows are fingerprints; ``groups`` names each row's patient. No patient ever has rows on both
sides of a split, in the outer folds or in the inner (tuning) folds. Every random choice comes
from the one ``seed``, so the same inputs give the same numbers.
"""

from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import binomtest
from sklearn import config_context
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


class AnalysisError(ValueError):
    pass


def age_group_of(age, groups):
    """The index of the protocol's age group holding ``age`` (lower bound inclusive)."""
    for index, (low, high) in enumerate(groups):
        if age >= low and (high is None or age < high):
            return index
    return -1


def _keys(labels, strata):
    labels = np.asarray(labels)
    if strata is None:
        return labels.astype(str)
    return np.char.add(labels.astype(str), np.char.add("|", np.asarray(strata).astype(str)))


def can_stratify(labels, groups, strata, n_splits):
    """Whether every (label, stratum) cell has at least ``n_splits`` patients."""
    if strata is None:
        return False
    patients = {}
    for key, group in zip(_keys(labels, strata), groups, strict=True):
        patients.setdefault(key, set()).add(group)
    return min(len(v) for v in patients.values()) >= n_splits


def patient_folds(labels, groups, n_splits, seed, strata=None):
    """(train, test) index arrays with whole patients in each fold, stratified by the label
    (and by ``strata``, e.g. the age group, when every cell is large enough for it)."""
    if strata is not None and not can_stratify(labels, groups, strata, n_splits):
        strata = None
    key = _keys(labels, strata)
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return [(train, test) for train, test in splitter.split(np.zeros(len(labels)), key, groups)]


def _reduce(classifier, train, seed):
    """Standardise and project on principal components (whitened), fitted on ``train``."""
    steps = [StandardScaler()]
    components = min(classifier.pca_components, train.shape[1], train.shape[0] - 2)
    if classifier.pca_components and components >= 1:
        steps.append(PCA(n_components=components, svd_solver="arpack", whiten=True,
                         random_state=seed))
    return make_pipeline(*steps).fit(train)


def _svm(classifier, degree, c, seed):
    return SVC(kernel="poly", degree=degree, C=c, gamma="scale", coef0=classifier.coef0,
               random_state=seed)


def _tune(features, labels, folds, classifier, seed):
    """The (degree, C) of the grid with the best mean inner AUC (first best on ties), and
    that AUC. The scaling and components are refitted on each inner training part."""
    grid = [(d, c) for d in classifier.degrees for c in classifier.c_values]
    totals = np.zeros(len(grid))
    for train, test in folds:
        reduce = _reduce(classifier, features[train], seed)
        x_train, x_test = reduce.transform(features[train]), reduce.transform(features[test])
        for index, (degree, c) in enumerate(grid):
            model = _svm(classifier, degree, c, seed).fit(x_train, labels[train])
            totals[index] += roc_auc_score(labels[test], model.decision_function(x_test))
    best = int(np.argmax(totals))
    return grid[best], float(totals[best] / len(folds))


def nested_cv_scores(features, labels, groups, classifier, *, seed, strata=None):
    """Out-of-fold decision values of every row and the hyper-parameters chosen per fold."""
    features = np.asarray(features, dtype=float)
    labels = np.asarray(labels, dtype=int)
    groups = np.asarray(groups)
    if len(set(labels.tolist())) < 2:
        raise AnalysisError("both classes are needed")
    per_class = min(len(set(groups[labels == c].tolist())) for c in (0, 1))
    if per_class < classifier.outer_folds:
        raise AnalysisError(f"{per_class} patients in the smaller class; the nested "
                            f"cross-validation needs at least {classifier.outer_folds}")
    scores = np.full(len(labels), np.nan)
    chosen = []
    stratified = can_stratify(labels, groups, strata, classifier.outer_folds)
    outer = patient_folds(labels, groups, classifier.outer_folds, seed, strata)
    with config_context(assume_finite=True, skip_parameter_validation=True):
        for fold, (train, test) in enumerate(outer):
            inner = patient_folds(labels[train], groups[train], classifier.inner_folds,
                                  seed + 1, None if strata is None else np.asarray(strata)[train])
            (degree, c), inner_auc = _tune(features[train], labels[train], inner, classifier,
                                           seed)
            reduce = _reduce(classifier, features[train], seed)
            model = _svm(classifier, degree, c, seed).fit(reduce.transform(features[train]),
                                                          labels[train])
            scores[test] = model.decision_function(reduce.transform(features[test]))
            chosen.append({"fold": fold + 1, "degree": degree, "C": c,
                           "inner_auc": round(inner_auc, 6), "age_stratified": stratified,
                           "test_patients": sorted({str(g) for g in groups[test]})})
    return scores, chosen, outer


def per_patient(scores, labels, groups):
    """One decision value (the mean of the patient's rows) and label per patient."""
    out = {}
    for score, label, group in zip(scores, labels, groups, strict=True):
        out.setdefault(group, [label, []])[1].append(score)
    names = sorted(out, key=str)
    return (names, np.array([out[n][0] for n in names], dtype=int),
            np.array([float(np.mean(out[n][1])) for n in names]))


def exact_interval(count, total, level=0.95):
    if total == 0:
        return None, None
    ci = binomtest(count, total).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


@dataclass(frozen=True)
class Performance:
    n: int
    positives: int
    true_positives: int
    true_negatives: int
    sensitivity: float | None
    sensitivity_ci: tuple
    specificity: float | None
    specificity_ci: tuple
    auc: float
    roc: tuple
    sensitivity_p_value: float | None

    def as_dict(self):
        return {"n": self.n, "positives": self.positives,
                "true_positives": self.true_positives, "true_negatives": self.true_negatives,
                "sensitivity": self.sensitivity, "sensitivity_ci": list(self.sensitivity_ci),
                "specificity": self.specificity, "specificity_ci": list(self.specificity_ci),
                "auc": self.auc, "roc": [list(p) for p in self.roc],
                "sensitivity_p_value": self.sensitivity_p_value}


def performance(labels, scores, *, hypothesised_sensitivity, threshold=0.0):
    """Sensitivity and specificity at the SVM's own threshold (decision value > 0 predicts
    the positive class) with exact Clopper-Pearson 95 % intervals, the ROC curve, the AUC,
    and the one-sided exact binomial test of H0: sensitivity >= hypothesis (small p: the
    sensitivity falls short of it)."""
    labels = np.asarray(labels, dtype=int)
    scores = np.asarray(scores, dtype=float)
    predicted = scores > threshold
    pos, neg = labels == 1, labels == 0
    tp, tn = int((predicted & pos).sum()), int((~predicted & neg).sum())
    n_pos, n_neg = int(pos.sum()), int(neg.sum())
    fpr, tpr, _ = roc_curve(labels, scores)
    p_value = (float(binomtest(tp, n_pos, hypothesised_sensitivity, alternative="less").pvalue)
               if n_pos else None)
    return Performance(
        n=len(labels), positives=n_pos, true_positives=tp, true_negatives=tn,
        sensitivity=tp / n_pos if n_pos else None, sensitivity_ci=exact_interval(tp, n_pos),
        specificity=tn / n_neg if n_neg else None, specificity_ci=exact_interval(tn, n_neg),
        auc=float(roc_auc_score(labels, scores)),
        roc=tuple((round(float(f), 6), round(float(t), 6)) for f, t in zip(fpr, tpr,
                                                                            strict=True)),
        sensitivity_p_value=p_value)


def permuted_labels(labels, groups, rng):
    """The labels shuffled between patients (a patient's rows keep one label)."""
    names, patient_labels, _ = per_patient(np.zeros(len(labels)), labels, groups)
    shuffled = dict(zip(names, rng.permutation(patient_labels), strict=True))
    return np.array([shuffled[g] for g in groups], dtype=int)


def _permuted_auc(features, fake, groups, classifier, seed, strata):
    try:
        scores, _, _ = nested_cv_scores(features, fake, groups, classifier, seed=seed,
                                        strata=strata)
    except AnalysisError:
        return None
    _, patient_labels, patient_scores = per_patient(scores, fake, groups)
    return float(roc_auc_score(patient_labels, patient_scores))


def analyse(features, labels, groups, classifier, *, seed, strata=None, permutations=None,
            progress=None, jobs=1):
    """The whole question: nested CV, per-patient performance, and the label-permutation
    test of the AUC (each permutation repeats the nested CV, tuning included; ``jobs``
    processes share the permutations, with the same numbers whatever their count)."""
    labels = np.asarray(labels, dtype=int)
    groups = np.asarray(groups)
    scores, chosen, outer = nested_cv_scores(features, labels, groups, classifier, seed=seed,
                                             strata=strata)
    names, patient_labels, patient_scores = per_patient(scores, labels, groups)
    result = performance(patient_labels, patient_scores,
                         hypothesised_sensitivity=classifier.hypothesised_sensitivity)
    count = classifier.permutations if permutations is None else permutations
    rng = np.random.default_rng(seed)
    # Every permuted labelling is drawn first, in order, so the result does not depend on how
    # many processes share the work.
    fakes = [permuted_labels(labels, groups, rng) for _ in range(count)]
    null_aucs = []
    runs = Parallel(n_jobs=jobs, return_as="generator")(
        delayed(_permuted_auc)(features, fake, groups, classifier, seed, strata)
        for fake in fakes)
    for index, auc in enumerate(runs):
        if auc is not None:
            null_aucs.append(auc)
        if progress:
            progress(index + 1, count)
    exceed = sum(1 for auc in null_aucs if auc >= result.auc)
    return {
        **result.as_dict(),
        "patients": [str(n) for n in names],
        "patient_scores": [round(float(s), 9) for s in patient_scores],
        "patient_labels": [int(v) for v in patient_labels],
        "folds": chosen,
        "permutations": len(null_aucs),
        "permutation_p_value": (exceed + 1) / (len(null_aucs) + 1) if null_aucs else None,
        "null_auc_mean": float(np.mean(null_aucs)) if null_aucs else None,
    }


def distances_from_baseline(fingerprints, baseline_visit):
    """{patient: {visit: Euclidean distance from the patient's baseline fingerprint}}."""
    out = {}
    for patient, visits in fingerprints.items():
        base = visits.get(baseline_visit)
        if base is None:
            continue
        out[patient] = {visit: round(float(np.linalg.norm(vec - base)), 9)
                        for visit, vec in visits.items()}
    return out
