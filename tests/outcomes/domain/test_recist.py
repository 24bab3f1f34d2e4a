"""RECIST 1.1 time-point and best-overall-response rules; expected values worked by hand."""

from dataclasses import FrozenInstanceError
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from outcomes.domain.recist import (
    TSTM,
    Baseline,
    ErrorCode,
    FollowUp,
    NewLesions,
    NonTargetLesion,
    NonTargetStatus,
    RecistError,
    Response,
    TargetLesion,
    TimePoint,
    assess,
    best_overall_response,
    first_progression_date,
    nontarget_response,
    normalize_organ,
    overall_response,
    validate,
)

BASELINE_DATE = date(2025, 12, 20)
D1 = date(2026, 1, 5)

CR, PR, SD, PD, NE = Response.CR, Response.PR, Response.SD, Response.PD, Response.NE
NON_CR_NON_PD = Response.NON_CR_NON_PD


def day(n):
    return D1 + timedelta(days=n)


def liver(mm, lesion_id="T1"):
    return TargetLesion(lesion_id, "liver", mm)


def lung(mm, lesion_id="T2"):
    return TargetLesion(lesion_id, "lung", mm)


def node(mm, lesion_id="N1", organ="mediastinum"):
    return TargetLesion(lesion_id, organ, mm, nodal=True)


def run(targets, *followups, nontargets=()):
    """Assess follow-ups given as (day, target measurements[, non-target statuses[, new]])."""
    baseline = Baseline(BASELINE_DATE, targets, nontargets)
    return assess(baseline, [FollowUp(day(n), *rest) for n, *rest in followups])


def single(targets, measurements, statuses=None, new=NewLesions.NO, nontargets=()):
    (point,) = run(targets, (42, measurements, statuses or {}, new), nontargets=nontargets)
    return point


def code_of(call, *args, **kwargs):
    with pytest.raises(RecistError) as info:
        call(*args, **kwargs)
    return info.value.code


def points(*pairs):
    return [TimePoint(day(n), response) for n, response in pairs]


def bor(*pairs, **options):
    return best_overall_response(points(*pairs), D1, **options)


# --- baseline validation -------------------------------------------------------------------


def test_six_targets_are_too_many():
    targets = [
        TargetLesion(f"T{i}", organ, 20)
        for i, organ in enumerate(["liver", "lung", "kidney", "spleen", "bone", "brain"])
    ]
    assert code_of(validate, Baseline(BASELINE_DATE, targets), []) is ErrorCode.TOO_MANY_TARGETS


def test_five_targets_two_per_organ_are_accepted():
    targets = [liver(20, "T1"), liver(20, "T2"), lung(20, "T3"), lung(20, "T4"), node(20)]
    validate(Baseline(BASELINE_DATE, targets), [])


def test_three_targets_in_one_organ_are_too_many():
    targets = [liver(20, "T1"), liver(20, "T2"), liver(20, "T3")]
    code = code_of(validate, Baseline(BASELINE_DATE, targets), [])
    assert code is ErrorCode.TOO_MANY_PER_ORGAN


def test_left_and_right_lung_are_one_organ():
    targets = [
        TargetLesion("T1", "left lung", 20),
        TargetLesion("T2", "Right Lung", 20),
        TargetLesion("T3", "lung", 20),
    ]
    code = code_of(validate, Baseline(BASELINE_DATE, targets), [])
    assert code is ErrorCode.TOO_MANY_PER_ORGAN


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("left lung", "lung"),
        ("Right  LUNG", "lung"),
        ("lungs", "lung"),
        ("left kidney", "kidney"),
        ("bilateral adrenal glands", "adrenal"),
        ("right ovary", "ovary"),
        ("liver", "liver"),
    ],
)
def test_organ_names_are_normalised_for_counting(given, expected):
    assert normalize_organ(given) == expected


def test_all_lymph_nodes_count_as_one_organ():
    targets = [
        node(20, "N1", "mediastinum"),
        node(20, "N2", "left axilla"),
        node(20, "N3", "neck"),
    ]
    code = code_of(validate, Baseline(BASELINE_DATE, targets), [])
    assert code is ErrorCode.TOO_MANY_PER_ORGAN


def test_nonnodal_target_under_10_mm_is_too_small():
    baseline = Baseline(BASELINE_DATE, [liver(Decimal("9.9"))])
    assert code_of(validate, baseline, []) is ErrorCode.NONNODAL_TOO_SMALL


def test_nonnodal_target_of_10_mm_is_measurable():
    validate(Baseline(BASELINE_DATE, [liver(10)]), [])


def test_nodal_target_under_15_mm_short_axis_is_too_small():
    baseline = Baseline(BASELINE_DATE, [node(Decimal("14.9"))])
    assert code_of(validate, baseline, []) is ErrorCode.NODAL_TOO_SMALL


def test_nodal_target_of_15_mm_short_axis_is_measurable():
    validate(Baseline(BASELINE_DATE, [node(15)]), [])


def test_negative_baseline_diameter_is_rejected():
    assert code_of(liver, -1) is ErrorCode.NEGATIVE_DIAMETER


def test_negative_followup_measurement_is_rejected():
    assert code_of(FollowUp, day(42), {"T1": -3}) is ErrorCode.NEGATIVE_DIAMETER


def test_duplicate_target_id_is_rejected():
    baseline = Baseline(BASELINE_DATE, [liver(20, "T1"), lung(20, "T1")])
    assert code_of(validate, baseline, []) is ErrorCode.DUPLICATE_LESION_ID


def test_target_and_nontarget_sharing_an_id_is_rejected():
    baseline = Baseline(BASELINE_DATE, [liver(20, "L1")], [NonTargetLesion("L1", "bone")])
    assert code_of(validate, baseline, []) is ErrorCode.DUPLICATE_LESION_ID


def test_followup_naming_an_unknown_target_is_rejected():
    baseline = Baseline(BASELINE_DATE, [liver(20)])
    followup = FollowUp(day(42), {"T1": 20, "T9": 10})
    assert code_of(validate, baseline, [followup]) is ErrorCode.UNKNOWN_LESION_ID


def test_followup_measuring_a_nontarget_as_a_target_is_rejected():
    baseline = Baseline(BASELINE_DATE, [liver(20)], [NonTargetLesion("NT1", "bone")])
    followup = FollowUp(day(42), {"T1": 20, "NT1": 10})
    assert code_of(validate, baseline, [followup]) is ErrorCode.UNKNOWN_LESION_ID


def test_followup_naming_an_unknown_nontarget_is_rejected():
    baseline = Baseline(BASELINE_DATE, [liver(20)], [NonTargetLesion("NT1", "bone")])
    followup = FollowUp(day(42), {"T1": 20}, {"NT2": "PRESENT"})
    assert code_of(validate, baseline, [followup]) is ErrorCode.UNKNOWN_LESION_ID


def test_baseline_without_lesions_is_no_disease():
    assert code_of(validate, Baseline(BASELINE_DATE), []) is ErrorCode.NO_DISEASE


def test_followup_on_the_baseline_date_is_unsorted():
    baseline = Baseline(BASELINE_DATE, [liver(20)])
    followup = FollowUp(BASELINE_DATE, {"T1": 20})
    assert code_of(validate, baseline, [followup]) is ErrorCode.UNSORTED_DATES


def test_followups_out_of_order_are_unsorted():
    baseline = Baseline(BASELINE_DATE, [liver(20)])
    followups = [FollowUp(day(84), {"T1": 20}), FollowUp(day(42), {"T1": 20})]
    assert code_of(validate, baseline, followups) is ErrorCode.UNSORTED_DATES


def test_two_followups_on_the_same_day_are_unsorted():
    baseline = Baseline(BASELINE_DATE, [liver(20)])
    followups = [FollowUp(day(42), {"T1": 20}), FollowUp(day(42), {"T1": 20})]
    assert code_of(validate, baseline, followups) is ErrorCode.UNSORTED_DATES


@pytest.mark.parametrize(
    "build",
    [
        lambda: liver("50"),
        lambda: liver(True),
        lambda: liver(float("nan")),
        lambda: TargetLesion("T1", "", 20),
        lambda: TargetLesion("", "liver", 20),
        lambda: TargetLesion("T1", "liver", 20, nodal="yes"),
        lambda: FollowUp(day(42), {"T1": "tstm"}),
        lambda: FollowUp(day(42), {"T1": "20"}),
        lambda: FollowUp(day(42), {}, {"NT1": "GONE"}),
        lambda: FollowUp(day(42), {}, {}, "MAYBE"),
        lambda: FollowUp(day(42), overall="GOOD"),
        lambda: FollowUp(day(42), {"T1": 20}, overall="PR"),
        lambda: FollowUp(datetime(2026, 2, 16, 9, 30), {"T1": 20}),
        lambda: Baseline("2025-12-20", [liver(20)]),
    ],
)
def test_malformed_values_are_invalid(build):
    assert code_of(build) is ErrorCode.INVALID_VALUE


def test_errors_carry_code_and_message_as_a_dict():
    with pytest.raises(RecistError) as info:
        liver(-2)
    assert info.value.as_dict() == {
        "error": {"code": "NEGATIVE_DIAMETER", "message": info.value.message}
    }
    assert "negative" in info.value.message


def test_lesions_are_frozen():
    lesion = liver(20)
    with pytest.raises(FrozenInstanceError):
        lesion.diameter_mm = Decimal(30)


# --- sums and target response --------------------------------------------------------------


def test_sum_adds_longest_diameters_and_node_short_axes():
    # Baseline 30 + 25 + 20 (node) = 75; follow-up 20 + 5 (TSTM) + 12 = 37 <= 52.5 -> PR.
    point = single([liver(30), lung(25), node(20)], {"T1": 20, "T2": TSTM, "N1": 12})
    assert point.baseline_sum_mm == 75
    assert point.sum_mm == 37
    assert point.target is PR


def test_too_small_to_measure_counts_as_five_mm():
    point = single([liver(20)], {"T1": TSTM})
    assert point.sum_mm == 5


def test_exactly_thirty_percent_decrease_is_pr():
    point = single([liver(50)], {"T1": 35})
    assert point.pct_change_from_baseline == -30
    assert point.target is PR


def test_51_to_35_7_mm_is_exactly_minus_thirty_percent_and_pr():
    point = single([liver(51.0)], {"T1": 35.7})
    assert point.sum_mm == Decimal("35.7")
    assert point.pct_change_from_baseline == Fraction(-30)
    assert point.target is PR


def test_minus_29_9_percent_is_sd():
    point = single([liver(100)], {"T1": Decimal("70.1")})
    assert point.pct_change_from_baseline == Fraction("-29.9")
    assert point.target is SD


def test_pd_needs_five_mm_absolute_increase():
    # Nadir 20 -> 24 is +20 % but only +4 mm.
    assert single([liver(20)], {"T1": 24}).target is SD


def test_twenty_percent_and_five_mm_over_nadir_is_pd():
    # Nadir 25 -> 30 is +20 % and +5 mm.
    assert single([liver(25)], {"T1": 30}).target is PD


def test_pd_needs_twenty_percent_over_nadir():
    # Nadir 50 -> 59.9 is +9.9 mm but +19.8 %; 60 is +20 %.
    assert single([liver(50)], {"T1": Decimal("59.9")}).target is SD
    assert single([liver(50)], {"T1": 60}).target is PD


def test_nadir_is_the_smallest_earlier_sum_not_only_baseline():
    # Baseline 100, then 50 (new nadir), then 60: +20 % and +10 mm over 50 -> PD even though
    # 60 is still 40 % below baseline.
    first, second = run([liver(100)], (42, {"T1": 50}), (84, {"T1": 60}))
    assert first.target is PR
    assert second.nadir_mm == 50
    assert second.target is PD


def test_nadir_reported_is_the_smallest_sum_before_each_time_point():
    # 100 -> 80 (SD) -> 70 (PR) -> 75: nadirs 100, 80, 70; 75 < 84 so not PD, > 70 so SD.
    result = run([liver(100)], (42, {"T1": 80}), (84, {"T1": 70}), (126, {"T1": 75}))
    assert [p.nadir_mm for p in result] == [100, 80, 70]
    assert [p.target for p in result] == [SD, PR, SD]


def test_nadir_ignores_time_points_with_a_target_not_evaluated():
    # The partial sum 10 must not become the nadir; against it 18 would be PD (+80 %, +8 mm).
    first, second = run(
        [liver(50), lung(50)], (42, {"T1": 10, "T2": None}), (84, {"T1": 10, "T2": 8})
    )
    assert first.target is NE
    assert second.nadir_mm == 100
    assert second.target is PR


def test_nadir_ignores_overall_only_followups():
    baseline = Baseline(BASELINE_DATE, [liver(100)])
    followups = [FollowUp(day(42), overall="PR"), FollowUp(day(84), {"T1": 60})]
    _, second = assess(baseline, followups)
    assert second.nadir_mm == 100
    assert second.target is PR


def test_cr_counts_nodes_under_10_mm_but_keeps_their_size_in_the_sum():
    point = single([liver(20), node(20)], {"T1": 0, "N1": 9})
    assert point.target is CR
    assert point.sum_mm == 9


def test_node_of_10_mm_prevents_cr():
    # 0 + 10 = 10 <= 0.7 x 40 = 28 -> PR, not CR.
    assert single([liver(20), node(20)], {"T1": 0, "N1": 10}).target is PR


def test_too_small_to_measure_nonnodal_lesion_prevents_cr():
    assert single([liver(20)], {"T1": TSTM}).target is PR


def test_too_small_to_measure_node_allows_cr():
    assert single([liver(20), node(20)], {"T1": 0, "N1": TSTM}).target is CR


def test_node_regrowing_under_five_mm_from_nadir_stays_cr():
    # Node 20 -> 5 (CR, nadir 5) -> 9: +80 % but only +4 mm, and still under 10 mm.
    _, second = run([node(20)], (42, {"N1": 5}), (84, {"N1": 9}))
    assert second.target is CR


def test_node_regrowing_five_mm_from_nadir_is_pd():
    _, second = run([node(20)], (42, {"N1": 5}), (84, {"N1": 10}))
    assert second.target is PD


def test_target_not_evaluated_makes_target_ne():
    point = single([liver(20), lung(20)], {"T1": 10, "T2": None})
    assert point.target is NE
    assert point.overall is NE
    assert point.complete is False


def test_target_left_out_counts_as_not_evaluated():
    assert single([liver(20), lung(20)], {"T1": 10}).target is NE


def test_partial_sum_that_proves_pd_is_pd():
    # Nadir 40; the measured lesion alone gives 50 >= 48 and +10 mm.
    point = single([liver(20), lung(20)], {"T1": 50, "T2": None})
    assert point.target is PD
    assert point.overall is PD


def test_partial_sum_short_of_pd_is_ne():
    # 45 < 1.2 x 40 = 48, and the missing lesion could hide anything else.
    assert single([liver(20), lung(20)], {"T1": 45, "T2": None}).target is NE


def test_percent_change_from_nadir_is_none_when_nadir_is_zero():
    _, second = run([liver(20)], (42, {"T1": 0}), (84, {"T1": 0}))
    assert second.nadir_mm == 0
    assert second.pct_change_from_nadir is None
    assert second.target is CR


# --- non-target response -------------------------------------------------------------------

BONE = NonTargetLesion("NT1", "bone")
PLEURA = NonTargetLesion("NT2", "pleura")


def test_unequivocal_nontarget_progression_is_pd_even_with_another_not_evaluated():
    statuses = {"NT1": NonTargetStatus.UNEQUIVOCAL_PD, "NT2": NonTargetStatus.NE}
    assert nontarget_response([BONE, PLEURA], statuses) is PD


def test_any_nontarget_not_evaluated_is_ne():
    statuses = {"NT1": NonTargetStatus.ABSENT, "NT2": NonTargetStatus.NE}
    assert nontarget_response([BONE, PLEURA], statuses) is NE


def test_nontarget_left_out_is_not_evaluated():
    assert nontarget_response([BONE, PLEURA], {"NT1": NonTargetStatus.ABSENT}) is NE


def test_all_nontargets_absent_is_cr():
    statuses = {"NT1": NonTargetStatus.ABSENT, "NT2": NonTargetStatus.ABSENT}
    assert nontarget_response([BONE, PLEURA], statuses) is CR


def test_nontarget_still_present_is_non_cr_non_pd():
    statuses = {"NT1": NonTargetStatus.ABSENT, "NT2": NonTargetStatus.PRESENT}
    assert nontarget_response([BONE, PLEURA], statuses) is NON_CR_NON_PD


def test_no_nontargets_gives_no_nontarget_response():
    assert nontarget_response([], {}) is None


# --- overall time-point response (Tables 1 and 2) ------------------------------------------


@pytest.mark.parametrize(
    ("target", "nontarget", "new", "expected"),
    [
        (CR, CR, NewLesions.NO, CR),
        (CR, None, NewLesions.NO, CR),
        (CR, NON_CR_NON_PD, NewLesions.NO, PR),
        (CR, NE, NewLesions.NO, PR),
        (PR, NON_CR_NON_PD, NewLesions.NO, PR),
        (PR, NE, NewLesions.NO, PR),
        (PR, CR, NewLesions.NO, PR),
        (SD, NON_CR_NON_PD, NewLesions.NO, SD),
        (SD, NE, NewLesions.NO, SD),
        (NE, NON_CR_NON_PD, NewLesions.NO, NE),
        (NE, CR, NewLesions.NO, NE),
        (PD, CR, NewLesions.NO, PD),
        (PD, NE, NewLesions.NO, PD),
        (CR, PD, NewLesions.NO, PD),
        (NE, PD, NewLesions.NO, PD),
        (CR, CR, NewLesions.YES, PD),
        (SD, NON_CR_NON_PD, NewLesions.YES, PD),
        (CR, CR, NewLesions.EQUIVOCAL, CR),
        (SD, NON_CR_NON_PD, NewLesions.EQUIVOCAL, SD),
    ],
)
def test_table_1_target_disease(target, nontarget, new, expected):
    assert overall_response(target, nontarget, new) is expected


@pytest.mark.parametrize(
    ("nontarget", "new", "expected"),
    [
        (CR, NewLesions.NO, CR),
        (NON_CR_NON_PD, NewLesions.NO, NON_CR_NON_PD),
        (NE, NewLesions.NO, NE),
        (PD, NewLesions.NO, PD),
        (CR, NewLesions.YES, PD),
        (NON_CR_NON_PD, NewLesions.EQUIVOCAL, NON_CR_NON_PD),
    ],
)
def test_table_2_nontarget_disease_only(nontarget, new, expected):
    assert overall_response(None, nontarget, new) is expected


def test_target_cr_with_nontarget_present_is_overall_pr():
    point = single([liver(20)], {"T1": 0}, {"NT1": "PRESENT"}, nontargets=[BONE])
    assert (point.target, point.nontarget, point.overall) == (CR, NON_CR_NON_PD, PR)


def test_new_lesion_makes_the_time_point_pd_whatever_the_sum():
    point = single([liver(50)], {"T1": 10}, new=NewLesions.YES)
    assert (point.target, point.overall) == (PR, PD)


def test_equivocal_new_lesion_does_not_make_pd():
    point = single([liver(50)], {"T1": 10}, new=NewLesions.EQUIVOCAL)
    assert point.overall is PR


def test_nontarget_only_disease_has_no_target_response_or_sums():
    point = single([], {}, {"NT1": "ABSENT"}, nontargets=[BONE])
    assert (point.target, point.sum_mm, point.nadir_mm) == (None, None, None)
    assert point.overall is CR


def test_overall_only_followup_is_used_as_given():
    baseline = Baseline(BASELINE_DATE, [liver(50)])
    (point,) = assess(baseline, [FollowUp(day(42), overall="NON-CR/NON-PD")])
    assert point.overall is NON_CR_NON_PD
    assert (point.target, point.sum_mm, point.pct_change_from_baseline) == (None, None, None)


# --- best overall response (Table 3, §4.6) -------------------------------------------------


def test_pr_confirmed_28_days_later_is_pr():
    assert bor((42, PR), (70, PR)) is PR


def test_pr_confirmed_only_27_days_later_is_sd():
    assert bor((42, PR), (69, PR)) is SD


def test_cr_confirmed_28_days_later_is_cr():
    assert bor((42, CR), (70, CR)) is CR


def test_cr_confirmed_only_27_days_later_is_sd():
    assert bor((42, CR), (69, CR)) is SD


def test_pr_ne_pr_is_confirmed():
    assert bor((42, PR), (56, NE), (70, PR)) is PR


def test_pr_ne_ne_pr_is_not_confirmed():
    assert bor((42, PR), (56, NE), (63, NE), (70, PR)) is SD


def test_cr_ne_cr_is_confirmed():
    assert bor((42, CR), (56, NE), (84, CR)) is CR


def test_pr_then_cr_is_pr():
    assert bor((42, PR), (70, CR)) is PR


def test_pr_then_confirmed_cr_is_cr():
    assert bor((42, PR), (70, CR), (98, CR)) is CR


def test_pr_sd_pr_is_not_confirmed():
    assert bor((42, PR), (56, SD), (84, PR)) is SD


def test_pr_after_cr_is_pd_and_best_is_sd_when_sd_duration_met():
    timepoints = points((42, CR), (84, PR))
    assert best_overall_response(timepoints, D1) is SD
    assert first_progression_date(timepoints) == day(84)


def test_pr_after_cr_before_sd_duration_is_pd():
    assert bor((28, CR), (56, PR)) is PD


def test_sd_after_cr_is_pd():
    assert bor((28, CR), (56, SD)) is PD
    assert first_progression_date(points((28, CR), (56, SD))) == day(56)


def test_confirmed_cr_stands_when_pr_follows_later():
    assert bor((42, CR), (70, CR), (98, PR)) is CR


def test_sd_at_42_days_after_d1_qualifies():
    assert bor((42, SD)) is SD


def test_sd_at_41_days_after_d1_does_not_qualify():
    assert bor((41, SD)) is NE


def test_sd_too_early_then_pd_is_pd():
    assert bor((41, SD), (84, PD)) is PD


def test_unconfirmed_pr_too_early_for_sd_is_ne():
    assert bor((41, PR)) is NE


def test_min_sd_days_is_a_parameter():
    assert bor((49, SD), min_sd_days=56) is NE
    assert bor((56, SD), min_sd_days=56) is SD


def test_time_points_after_first_pd_are_ignored():
    assert bor((42, PD), (84, PR), (112, PR)) is PD
    assert bor((20, SD), (30, PD), (84, SD)) is PD


def test_no_time_points_is_ne():
    assert bor() is NE


def test_only_ne_time_points_is_ne():
    assert bor((42, NE), (84, NE)) is NE


def test_non_cr_non_pd_needs_the_sd_duration():
    assert bor((42, NON_CR_NON_PD)) is NON_CR_NON_PD
    assert bor((41, NON_CR_NON_PD)) is NE


def test_sd_is_preferred_to_non_cr_non_pd():
    assert bor((42, NON_CR_NON_PD), (84, SD)) is SD


def test_confirmation_can_be_waived_for_randomised_trials():
    assert bor((42, PR), confirmation_required=False) is PR
    assert bor((14, CR), confirmation_required=False) is CR


def test_first_progression_date_is_none_without_pd():
    assert first_progression_date(points((42, SD), (84, PR))) is None


# --- disease without target lesions (RECIST 1.1 Table 2) ----------------------------------


def test_nontarget_only_present_lesion_is_non_cr_non_pd_never_sd():
    baseline = Baseline(BASELINE_DATE, nontargets=[NonTargetLesion("NT1", "bone")])
    (point,) = assess(baseline, [FollowUp(day(84), nontargets={"NT1": "PRESENT"})])
    assert (point.target, point.overall) == (None, NON_CR_NON_PD)
    assert best_overall_response([point], D1, target_disease=False) is NON_CR_NON_PD


def test_nontarget_only_unconfirmed_cr_is_non_cr_non_pd_not_sd():
    # Table 2 has no SD: a CR not confirmed 4 weeks later is NON-CR/NON-PD.
    assert bor((84, CR), target_disease=False) is NON_CR_NON_PD



def test_nontarget_only_non_cr_non_pd_after_unconfirmed_cr_is_progression():
    # The CR at day 84 was met, so lesions seen again at day 98 are PD (Table 3, note a);
    # the unconfirmed CR still met the SD minimum, so the best response is NON-CR/NON-PD.
    pairs = ((84, CR), (98, NON_CR_NON_PD))
    assert first_progression_date(points(*pairs)) == day(98)
    assert bor(*pairs, target_disease=False) is NON_CR_NON_PD
    assert bor((30, CR), (98, NON_CR_NON_PD), target_disease=False) is PD


def test_nontarget_only_confirmed_cr_is_cr():
    assert bor((84, CR), (112, CR), target_disease=False) is CR


def test_nontarget_only_unconfirmed_cr_before_the_sd_minimum_is_ne():
    assert bor((41, CR), target_disease=False) is NE


def test_non_cr_non_pd_after_cr_is_progression():
    # Table 3 footnote a: once CR is met, disease seen again has reappeared.
    assert first_progression_date(points((84, CR), (112, CR), (168, NON_CR_NON_PD))) == day(168)
    assert bor((84, CR), (112, CR), (168, NON_CR_NON_PD), target_disease=False) is CR


def test_measurable_disease_unconfirmed_cr_is_still_sd():
    assert bor((84, CR)) is SD
