"""Per-patient efficacy endpoints; expected values worked by hand from the definitions."""

from dataclasses import FrozenInstanceError
from datetime import date, timedelta

import pytest

from outcomes.domain.endpoints import (
    PatientEndpoints,
    PfsReason,
    ProgressionFreeSurvival,
    compute_endpoints,
    evaluate_patient,
    not_evaluable_reason,
    stable_disease_days,
)
from outcomes.domain.recist import (
    Baseline,
    ErrorCode,
    FollowUp,
    RecistError,
    Response,
    TargetLesion,
    TimePoint,
)

BASELINE_DATE = date(2025, 12, 20)
D1 = date(2026, 1, 5)

CR, PR, SD, PD, NE = Response.CR, Response.PR, Response.SD, Response.PD, Response.NE


def day(n):
    return D1 + timedelta(days=n)


def endpoints(*pairs, **options):
    timepoints = [TimePoint(day(n), response) for n, response in pairs]
    return compute_endpoints(timepoints, D1, **options)


def measured(*sums, **options):
    """Evaluate one 100 mm liver target followed by (day, sum) measurements."""
    baseline = Baseline(BASELINE_DATE, [TargetLesion("T1", "liver", 100)])
    followups = [FollowUp(day(n), {"T1": mm}) for n, mm in sums]
    return evaluate_patient(baseline, followups, D1, **options)


# --- best overall and objective response ---------------------------------------------------


def test_confirmed_pr_is_an_objective_response():
    result = endpoints((42, PR), (70, PR))
    assert result.best_overall_response is PR
    assert result.objective_response is True


def test_confirmed_cr_is_an_objective_response():
    assert endpoints((42, CR), (70, CR)).objective_response is True


def test_unconfirmed_pr_is_not_an_objective_response():
    result = endpoints((42, PR), (56, PD))
    assert result.best_overall_response is SD
    assert result.objective_response is False


# --- clinical benefit (CR, PR, or SD lasting 24 weeks) -------------------------------------


def test_sd_lasting_168_days_is_clinical_benefit():
    assert endpoints((42, SD), (168, SD)).clinical_benefit is True


def test_sd_known_only_to_day_167_is_not_clinical_benefit():
    # No progression: SD lasted as far as the last adequate assessment, day 167 < 168.
    assert endpoints((42, SD), (167, SD)).clinical_benefit is False


def test_sd_until_pd_on_day_167_is_not_clinical_benefit():
    assert endpoints((42, SD), (160, SD), (167, PD)).clinical_benefit is False


def test_sd_until_pd_on_day_168_is_clinical_benefit():
    # RECIST 1.1 §4.6.3: SD lasts from D1 until the criteria for progression are met.
    assert endpoints((42, SD), (160, SD), (168, PD)).clinical_benefit is True


def test_sd_at_day_160_then_pd_at_day_252_is_clinical_benefit():
    # No scan on or after day 168 is needed: SD lasted 252 days.
    result = endpoints((84, SD), (160, SD), (252, PD))
    assert result.best_overall_response is SD
    assert result.clinical_benefit is True


def test_recorded_progression_ends_stable_disease():
    # A clinical progression on day 150, recorded apart from the scans, ends SD there.
    result = endpoints((84, SD), (252, SD), progression_date=day(150))
    assert result.clinical_benefit is False
    assert endpoints((84, SD), (252, SD), progression_date=day(170)).clinical_benefit is True


def test_stable_disease_days_counts_to_first_pd_or_last_adequate_assessment():
    def days(*pairs, **options):
        timepoints = [TimePoint(day(n), response) for n, response in pairs]
        return stable_disease_days(timepoints, D1, **options)

    assert days((84, SD), (252, PD)) == 252
    assert days((84, SD), (168, NE)) == 84
    assert days((84, SD), (170, SD), (200, PD), (260, SD)) == 200
    assert days() is None
    assert days((84, NE)) is None


def test_confirmed_pr_is_clinical_benefit_however_short():
    assert endpoints((42, PR), (70, PR), (98, PD)).clinical_benefit is True


def test_not_evaluable_assessment_at_24_weeks_does_not_extend_benefit():
    assert endpoints((42, SD), (168, NE)).clinical_benefit is False


def test_assessments_after_progression_do_not_count_for_benefit():
    assert endpoints((42, SD), (84, PD), (170, SD)).clinical_benefit is False


def test_non_cr_non_pd_lasting_168_days_is_clinical_benefit_like_sd():
    # Bone-only disease: NON-CR/NON-PD is Table 2's SD and counts toward benefit alike.
    result = endpoints((42, Response.NON_CR_NON_PD), (168, Response.NON_CR_NON_PD),
                       target_disease=False)
    assert result.best_overall_response is Response.NON_CR_NON_PD
    assert result.clinical_benefit is True


def test_non_cr_non_pd_lasting_167_days_is_not_clinical_benefit():
    result = endpoints((42, Response.NON_CR_NON_PD), (167, Response.NON_CR_NON_PD),
                       target_disease=False)
    assert result.clinical_benefit is False


def test_non_cr_non_pd_until_pd_on_day_252_is_clinical_benefit():
    result = endpoints((84, Response.NON_CR_NON_PD), (252, PD), target_disease=False)
    assert result.clinical_benefit is True


def test_nontarget_only_unconfirmed_cr_is_non_cr_non_pd_and_no_response():
    result = endpoints((84, CR), (112, NE), target_disease=False)
    assert result.best_overall_response is Response.NON_CR_NON_PD
    assert result.objective_response is False


def test_benefit_days_is_a_parameter():
    assert endpoints((42, SD), (112, SD), benefit_days=112).clinical_benefit is True


# --- objective clinical benefit (CR, PR, or minor response lasting 24 weeks) ---------------


def test_minor_response_lasting_168_days_is_objective_clinical_benefit():
    # 100 -> 90 -> 85 mm: decreases short of the 30 % of a PR, still seen on day 168.
    result = measured((42, 90), (168, 85))
    assert result.best_overall_response is SD
    assert result.objective_clinical_benefit is True


def test_minor_response_only_to_167_days_is_not_objective_clinical_benefit():
    assert measured((42, 90), (167, 85)).objective_clinical_benefit is False


def test_sd_growing_from_baseline_is_benefit_but_not_objective_benefit():
    # 100 -> 90 -> 105: 105 < 1.2 x 90 = 108 so still SD, but above the baseline sum.
    result = measured((42, 90), (168, 105))
    assert result.clinical_benefit is True
    assert result.objective_clinical_benefit is False


def test_unchanged_sum_is_not_a_minor_response():
    assert measured((42, 100), (168, 100)).objective_clinical_benefit is False


def test_overall_only_sd_cannot_show_a_minor_response():
    result = endpoints((42, SD), (168, SD))
    assert result.clinical_benefit is True
    assert result.objective_clinical_benefit is False


def test_confirmed_pr_is_objective_clinical_benefit():
    assert measured((42, 60), (70, 60)).objective_clinical_benefit is True


# --- early progression (PD or death within 183 days) ---------------------------------------


def test_pd_on_day_183_is_early_progression():
    assert endpoints((42, SD), (183, PD)).early_progression is True


def test_pd_on_day_184_is_not_early_progression():
    assert endpoints((42, SD), (184, PD)).early_progression is False


def test_death_within_183_days_is_early_progression():
    assert endpoints((42, SD), death_date=day(100)).early_progression is True


def test_death_after_183_days_is_not_early_progression():
    assert endpoints((42, SD), death_date=day(184)).early_progression is False


def test_early_progression_days_is_a_parameter():
    assert endpoints((120, PD), early_progression_days=91).early_progression is False


# --- progression-free survival -------------------------------------------------------------


def test_pfs_ends_at_the_first_pd():
    result = endpoints((42, SD), (84, PD), (126, PD))
    assert result.pfs == ProgressionFreeSurvival(84, True, day(84), PfsReason.PROGRESSION)
    assert result.first_progression_date == day(84)


def test_pfs_ends_at_death_before_progression():
    result = endpoints((42, SD), (84, PD), death_date=day(60))
    assert result.pfs == ProgressionFreeSurvival(60, True, day(60), PfsReason.DEATH)


def test_pfs_ends_at_progression_before_death():
    result = endpoints((42, SD), (84, PD), death_date=day(100))
    assert result.pfs == ProgressionFreeSurvival(84, True, day(84), PfsReason.PROGRESSION)


def test_pfs_names_progression_when_death_is_the_same_day():
    assert endpoints((84, PD), death_date=day(84)).pfs.reason is PfsReason.PROGRESSION


def test_pfs_death_without_progression_is_an_event():
    result = endpoints((42, SD), death_date=day(150))
    assert result.pfs == ProgressionFreeSurvival(150, True, day(150), PfsReason.DEATH)


def test_pfs_is_censored_at_the_last_adequate_assessment():
    result = endpoints((42, SD), (84, SD), (126, NE))
    assert result.pfs == ProgressionFreeSurvival(
        84, False, day(84), PfsReason.LAST_ADEQUATE_ASSESSMENT
    )


def test_pfs_without_followups_is_censored_at_d1_with_zero_days():
    result = endpoints()
    assert result.pfs == ProgressionFreeSurvival(0, False, D1, PfsReason.NO_ADEQUATE_ASSESSMENT)
    assert result.best_overall_response is NE


def test_pfs_with_only_not_evaluable_assessments_is_censored_at_d1():
    result = endpoints((42, NE), (84, NE))
    assert result.pfs == ProgressionFreeSurvival(0, False, D1, PfsReason.NO_ADEQUATE_ASSESSMENT)


def test_pfs_counts_pr_after_cr_as_progression():
    result = endpoints((42, CR), (84, PR))
    assert result.pfs == ProgressionFreeSurvival(84, True, day(84), PfsReason.PROGRESSION)


def test_pfs_counts_days_from_d1_not_from_baseline_scan():
    result = measured((42, 90), (84, 200))
    assert result.pfs.days == 84


def test_death_before_d1_is_invalid():
    with pytest.raises(RecistError) as info:
        endpoints((42, SD), death_date=day(-1))
    assert info.value.code is ErrorCode.INVALID_VALUE


# --- the result ---------------------------------------------------------------------------


def test_evaluate_patient_combines_all_endpoints():
    # 100 -> 60 (PR) -> 60 (PR, 28 days later: confirmed) -> 75 (+25 %, +15 mm over 60: PD).
    result = measured((56, 60), (84, 60), (126, 75))
    assert result == PatientEndpoints(
        best_overall_response=PR,
        objective_response=True,
        clinical_benefit=True,
        objective_clinical_benefit=True,
        early_progression=True,
        first_progression_date=day(126),
        pfs=ProgressionFreeSurvival(126, True, day(126), PfsReason.PROGRESSION),
    )


def test_endpoints_are_frozen():
    result = endpoints((42, SD))
    with pytest.raises(FrozenInstanceError):
        result.clinical_benefit = True


# --- why a patient is not evaluable (listed, never dropped) --------------------------------


def _reason(*pairs, has_baseline=True):
    timepoints = [TimePoint(day(n), response) for n, response in pairs]
    best = compute_endpoints(timepoints, D1).best_overall_response
    return not_evaluable_reason(timepoints, D1, best, has_baseline=has_baseline)


def test_an_evaluable_patient_has_no_reason():
    assert _reason((42, SD)) is None
    assert _reason((20, PD)) is None


def test_no_baseline_is_the_reason_before_anything_else():
    assert _reason(has_baseline=False) == "no baseline tumour assessment"


def test_no_follow_up_is_a_reason():
    assert _reason() == "no follow-up tumour assessment"


def test_only_ne_follow_ups_is_a_reason():
    assert _reason((42, NE), (84, NE)) == "every follow-up assessment is not evaluable (NE)"


def test_sd_before_day_42_without_progression_is_a_reason():
    # RECIST 1.1 §4.6.1: SD needs a time point at least 42 days after D1 (the protocol's).
    assert _reason((41, SD)).startswith("no assessment of stable disease or better at least 42")
