"""Schedule maths. Expected dates are counted on the calendar from the protocol rules.

ICRG0201 examples use D1 = Monday 2025-01-06, so every visit on a multiple of 7 days is a Monday.
PALMARES-2 examples use a CDK4/6 inhibitor start on 2024-03-15 (2024 is a leap year).
"""

from dataclasses import replace
from datetime import date

import pytest

from trialsite.protocols.icrg0201_schedule import SCHEDULE as ICRG
from trialsite.protocols.palmares2_schedule import SCHEDULE as PALMARES
from trialsite.protocols.schedule import (
    EndOfTreatment,
    FollowUp,
    Numbering,
    RepeatingVisit,
    Schedule,
    StopEvent,
    VisitDef,
)
from visits.domain.schedule import (
    VisitKind,
    VisitStatus,
    cut_off_at_progression,
    horizon,
    is_retrospective,
    plan,
    redate,
    validate_schedule,
    window_deviation,
    window_status,
)

D1 = date(2025, 1, 6)
CDK_START = date(2024, 3, 15)


def by_code(visits):
    return {visit.code: visit for visit in visits}


def codes(visits):
    return [visit.code for visit in visits]


@pytest.fixture
def icrg_year():
    """ICRG0201 plan for a year: up to M12 on day 336 (2025-12-08)."""
    return plan(ICRG, D1, date(2025, 12, 8))


# --- planning -------------------------------------------------------------------------------


def test_icrg_plan_lists_fixed_then_quarterly_visits_in_date_order(icrg_year):
    assert codes(icrg_year) == ["SCR", "BL", "M1", "M2", "M3", "M6", "M9", "M12"]
    dates = [visit.target_date for visit in icrg_year]
    assert dates == sorted(dates)


def test_icrg_monthly_and_quarterly_targets_count_days_from_d1(icrg_year):
    visits = by_code(icrg_year)
    assert visits["BL"].target_date == date(2025, 1, 6)
    assert visits["M1"].target_date == date(2025, 2, 3)  # day 28
    assert visits["M2"].target_date == date(2025, 3, 3)  # day 56 (February 2025 has 28 days)
    assert visits["M3"].target_date == date(2025, 3, 31)  # day 84
    assert visits["M6"].target_date == date(2025, 6, 23)  # day 168
    assert visits["M9"].target_date == date(2025, 9, 15)  # day 252
    assert visits["M12"].target_date == date(2025, 12, 8)  # day 336


def test_icrg_screening_window_is_the_28_days_before_d1(icrg_year):
    screening = by_code(icrg_year)["SCR"]
    assert (screening.window_start, screening.window_end) == (date(2024, 12, 9), date(2025, 1, 5))


def test_icrg_baseline_window_allows_up_to_three_days_after_d1(icrg_year):
    baseline = by_code(icrg_year)["BL"]
    assert (baseline.window_start, baseline.window_end) == (date(2025, 1, 6), date(2025, 1, 9))


def test_icrg_monthly_windows_are_minus_3_plus_7(icrg_year):
    visits = by_code(icrg_year)
    assert (visits["M1"].window_start, visits["M1"].window_end) == (
        date(2025, 1, 31),
        date(2025, 2, 10),
    )
    assert (visits["M2"].window_start, visits["M2"].window_end) == (
        date(2025, 2, 28),
        date(2025, 3, 10),
    )


def test_icrg_month_3_window_is_plus_minus_7(icrg_year):
    m3 = by_code(icrg_year)["M3"]
    assert (m3.window_start, m3.window_end) == (date(2025, 3, 24), date(2025, 4, 7))


def test_icrg_quarterly_windows_are_plus_minus_14(icrg_year):
    visits = by_code(icrg_year)
    assert (visits["M6"].window_start, visits["M6"].window_end) == (
        date(2025, 6, 9),
        date(2025, 7, 7),
    )
    assert (visits["M9"].window_start, visits["M9"].window_end) == (
        date(2025, 9, 1),
        date(2025, 9, 29),
    )


def test_repeating_codes_are_the_protocol_month_of_the_day():
    repeat = ICRG.repeat
    assert [repeat.code_for(n) for n in (1, 2, 3, 4, 5)] == ["M6", "M9", "M12", "M15", "M18"]
    assert [repeat.day_for(n) for n in (1, 2, 3, 4, 5)] == [168, 252, 336, 420, 504]
    assert repeat.label_for(3) == "Month 12"


def test_occurrence_numbering_counts_follow_ups_from_one():
    repeat = PALMARES.repeat
    assert [repeat.code_for(n) for n in (1, 2, 3)] == ["FU1", "FU2", "FU3"]
    assert repeat.label_for(2) == "Follow-up 2"


def test_repeating_visits_stop_at_until_inclusive():
    day_before_m12 = date(2025, 12, 7)
    assert codes(plan(ICRG, D1, day_before_m12))[-1] == "M9"
    assert codes(plan(ICRG, D1, date(2025, 12, 8)))[-1] == "M12"


def test_fixed_visits_are_planned_even_before_until_reaches_them():
    assert codes(plan(ICRG, D1, D1)) == ["SCR", "BL", "M1", "M2", "M3"]


def test_planned_visits_carry_the_declared_forms_samples_and_assessments(icrg_year):
    m6 = by_code(icrg_year)["M6"]
    assert m6.kind == VisitKind.REPEATING
    assert "tumour_assessment" in m6.forms
    assert m6.samples == ("liquid_biopsy",)
    assert "recist_imaging" in m6.assessments
    assert by_code(icrg_year)["M1"].kind == VisitKind.SCHEDULED


def test_palmares_follow_ups_fall_every_91_days_from_the_cdk46_start():
    visits = by_code(plan(PALMARES, CDK_START, date(2024, 12, 13)))
    assert list(visits) == ["BL", "FU1", "FU2", "FU3"]
    assert visits["FU1"].target_date == date(2024, 6, 14)  # day 91
    assert visits["FU2"].target_date == date(2024, 9, 13)  # day 182
    assert visits["FU3"].target_date == date(2024, 12, 13)  # day 273


def test_palmares_follow_up_windows_are_plus_minus_30_days():
    visits = by_code(plan(PALMARES, CDK_START, date(2024, 12, 13)))
    assert (visits["FU1"].window_start, visits["FU1"].window_end) == (
        date(2024, 5, 15),
        date(2024, 7, 14),
    )
    assert (visits["FU2"].window_start, visits["FU2"].window_end) == (
        date(2024, 8, 14),
        date(2024, 10, 13),
    )


def test_horizon_adds_the_declared_materialisation_days():
    assert horizon(ICRG, date(2025, 1, 6)) == date(2025, 6, 23)  # +168
    assert horizon(PALMARES, date(2024, 3, 15)) == date(2024, 9, 13)  # +182


# --- window status --------------------------------------------------------------------------


@pytest.fixture
def m1(icrg_year):
    """M1: target 2025-02-03, window 2025-01-31 .. 2025-02-10."""
    return by_code(icrg_year)["M1"]


def test_visit_is_upcoming_the_day_before_its_window_opens(m1):
    assert window_status(m1, date(2025, 1, 30), False, False) == VisitStatus.UPCOMING


def test_visit_is_open_on_the_first_day_of_its_window(m1):
    assert window_status(m1, date(2025, 1, 31), False, False) == VisitStatus.OPEN


def test_visit_is_open_on_its_target_date(m1):
    assert window_status(m1, date(2025, 2, 3), False, False) == VisitStatus.OPEN


def test_visit_is_open_on_the_last_day_of_its_window(m1):
    assert window_status(m1, date(2025, 2, 10), False, False) == VisitStatus.OPEN


def test_visit_without_data_is_overdue_the_day_after_its_window_closes(m1):
    assert window_status(m1, date(2025, 2, 11), False, False) == VisitStatus.OVERDUE


def test_visit_with_complete_data_is_completed_whatever_the_date(m1):
    assert window_status(m1, date(2025, 2, 11), True, True) == VisitStatus.COMPLETED
    assert window_status(m1, date(2025, 1, 30), True, True) == VisitStatus.COMPLETED


def test_visit_with_partial_data_is_incomplete_not_overdue(m1):
    assert window_status(m1, date(2025, 3, 1), True, False) == VisitStatus.INCOMPLETE


def test_complete_without_data_is_refused_as_a_contradiction(m1):
    with pytest.raises(ValueError):
        window_status(m1, date(2025, 2, 3), False, True)


def test_retrospective_visit_without_data_waits_as_history_not_overdue(m1):
    status = window_status(m1, date(2025, 2, 11), False, False, retrospective=True)
    assert status == VisitStatus.HISTORY


def test_retrospective_visit_with_data_is_completed(m1):
    status = window_status(m1, date(2025, 2, 11), True, True, retrospective=True)
    assert status == VisitStatus.COMPLETED


# --- deviations -----------------------------------------------------------------------------


def test_visit_on_either_window_edge_is_no_deviation(m1):
    assert window_deviation(m1, date(2025, 1, 31)) is None
    assert window_deviation(m1, date(2025, 2, 10)) is None


def test_visit_after_the_window_is_a_deviation_by_days_late(m1):
    deviation = window_deviation(m1, date(2025, 2, 12))
    assert (deviation.days_outside, deviation.early) == (2, False)
    assert deviation.message == (
        "M1 on 2025-02-12 is 2 days after its window closed (2025-01-31 to 2025-02-10)"
    )


def test_visit_before_the_window_is_a_deviation_by_days_early(m1):
    deviation = window_deviation(m1, date(2025, 1, 30))
    assert (deviation.days_outside, deviation.early) == (1, True)
    assert "1 day before its window opened" in deviation.message


# --- retrospective visits -------------------------------------------------------------------


def test_palmares_visit_whose_window_closed_before_enrolment_is_retrospective():
    visits = by_code(plan(PALMARES, CDK_START, date(2024, 12, 13)))
    enrolment = date(2024, 7, 15)  # FU1 window closed on 2024-07-14
    assert is_retrospective(PALMARES, visits["BL"], enrolment)
    assert is_retrospective(PALMARES, visits["FU1"], enrolment)
    assert not is_retrospective(PALMARES, visits["FU2"], enrolment)


def test_palmares_visit_whose_window_ends_on_the_enrolment_date_is_not_retrospective():
    fu1 = by_code(plan(PALMARES, CDK_START, date(2024, 12, 13)))["FU1"]
    assert not is_retrospective(PALMARES, fu1, date(2024, 7, 14))


def test_icrg_has_no_retrospective_visits_even_for_screening(icrg_year):
    screening = by_code(icrg_year)["SCR"]
    assert screening.window_end < D1
    assert not is_retrospective(ICRG, screening, D1)


# --- progression ----------------------------------------------------------------------------


def test_progression_cancels_visits_targeted_after_it_and_keeps_the_one_on_it(icrg_year):
    progression = date(2025, 6, 23)  # M6 target
    cut = cut_off_at_progression(ICRG, icrg_year, progression, date(2025, 12, 8))
    assert codes(cut.kept) == ["SCR", "BL", "M1", "M2", "M3", "M6"]
    assert codes(cut.cancelled) == ["M9", "M12"]


def test_progression_the_day_before_a_visit_cancels_it(icrg_year):
    cut = cut_off_at_progression(ICRG, icrg_year, date(2025, 6, 22), date(2025, 12, 8))
    assert codes(cut.cancelled) == ["M6", "M9", "M12"]


def test_early_progression_also_cancels_fixed_monthly_visits(icrg_year):
    day_50 = date(2025, 2, 25)
    cut = cut_off_at_progression(ICRG, icrg_year, day_50, date(2025, 12, 8))
    assert codes(cut.cancelled) == ["M2", "M3", "M6", "M9", "M12"]


def test_end_of_treatment_targets_the_progression_date_with_30_days_after(icrg_year):
    cut = cut_off_at_progression(ICRG, icrg_year, date(2025, 6, 23), date(2025, 12, 8))
    eot = by_code(cut.added)["EOT"]
    assert eot.kind == VisitKind.END_OF_TREATMENT
    assert (eot.target_date, eot.window_start, eot.window_end) == (
        date(2025, 6, 23),
        date(2025, 6, 23),
        date(2025, 7, 23),
    )


def test_follow_up_every_84_days_plus_minus_14_from_end_of_treatment(icrg_year):
    cut = cut_off_at_progression(ICRG, icrg_year, date(2025, 6, 23), date(2025, 12, 8))
    assert codes(cut.added) == ["EOT", "FU1", "FU2"]
    fu1, fu2 = by_code(cut.added)["FU1"], by_code(cut.added)["FU2"]
    assert (fu1.target_date, fu1.window_start, fu1.window_end) == (
        date(2025, 9, 15),
        date(2025, 9, 1),
        date(2025, 9, 29),
    )
    assert (fu2.target_date, fu2.window_start, fu2.window_end) == (
        date(2025, 12, 8),
        date(2025, 11, 24),
        date(2025, 12, 22),
    )
    assert fu1.kind == VisitKind.FOLLOW_UP
    assert fu1.forms == ("survival_status",)


def test_follow_up_is_planned_only_up_to_until(icrg_year):
    cut = cut_off_at_progression(ICRG, icrg_year, date(2025, 6, 23), date(2025, 12, 7))
    assert codes(cut.added) == ["EOT", "FU1"]


def test_progression_never_cancels_a_visit_already_done(icrg_year):
    cut = cut_off_at_progression(
        ICRG, icrg_year, date(2025, 6, 23), date(2025, 12, 8), done_codes={"M9"}
    )
    assert codes(cut.cancelled) == ["M12"]
    assert "M9" in codes(cut.kept)


def test_recording_the_same_progression_twice_adds_nothing(icrg_year):
    progression, until = date(2025, 6, 23), date(2025, 12, 8)
    first = cut_off_at_progression(ICRG, icrg_year, progression, until)
    again = cut_off_at_progression(ICRG, first.kept + first.added, progression, until)
    assert again.added == ()
    assert again.cancelled == ()


def test_progression_does_not_stop_palmares_follow_up():
    visits = plan(PALMARES, CDK_START, date(2024, 12, 13))
    cut = cut_off_at_progression(PALMARES, visits, date(2024, 7, 1), date(2024, 12, 13))
    assert cut.cancelled == ()
    assert cut.added == ()
    assert list(cut.kept) == visits


def test_plan_with_progression_gives_the_cut_off_schedule_in_date_order():
    visits = plan(ICRG, D1, date(2025, 12, 8), progression_date=date(2025, 6, 23))
    assert codes(visits) == ["SCR", "BL", "M1", "M2", "M3", "M6", "EOT", "FU1", "FU2"]


# --- re-dating ------------------------------------------------------------------------------


def test_redate_moves_visits_not_done_by_the_anchor_shift(icrg_year):
    moved = by_code(redate(icrg_year, D1, date(2025, 1, 13), done_codes={"SCR", "BL"}))
    assert moved["M1"].target_date == date(2025, 2, 10)
    assert (moved["M1"].window_start, moved["M1"].window_end) == (
        date(2025, 2, 7),
        date(2025, 2, 17),
    )
    assert moved["M3"].target_date == date(2025, 4, 7)
    assert moved["M6"].target_date == date(2025, 6, 30)


def test_redate_leaves_done_visits_where_they_were(icrg_year):
    moved = by_code(redate(icrg_year, D1, date(2025, 1, 13), done_codes={"SCR", "BL"}))
    assert moved["SCR"].target_date == date(2025, 1, 5)
    assert moved["BL"].target_date == date(2025, 1, 6)


def test_redate_moves_backwards_when_the_anchor_is_earlier(icrg_year):
    moved = by_code(redate(icrg_year, D1, date(2025, 1, 3), done_codes=set()))
    assert moved["SCR"].target_date == date(2025, 1, 2)
    assert moved["M1"].target_date == date(2025, 1, 31)


def test_redate_leaves_end_of_treatment_and_follow_up_dated_from_progression():
    visits = plan(ICRG, D1, date(2025, 12, 8), progression_date=date(2025, 6, 23))
    moved = by_code(redate(visits, D1, date(2025, 1, 13), done_codes=set()))
    assert moved["EOT"].target_date == date(2025, 6, 23)
    assert moved["FU1"].target_date == date(2025, 9, 15)
    assert moved["M6"].target_date == date(2025, 6, 30)


# --- schedule validation --------------------------------------------------------------------


def _schedule(*visits, **changes):
    """A minimal sound schedule, changed as a test needs."""
    base = Schedule(
        anchor="Day 0",
        visits=visits
        or (
            VisitDef("BL", "Baseline", 0, 0, 3),
            VisitDef("M1", "Month 1", 28, 3, 7),
            VisitDef("M2", "Month 2", 56, 3, 7),
        ),
        materialise_ahead_days=168,
        repeat=RepeatingVisit(
            code_prefix="M",
            label_template="Month {number}",
            first_day=84,
            every_days=84,
            window_before=14,
            window_after=14,
            until=frozenset({StopEvent.PROGRESSION}),
            numbering=Numbering.MONTH,
        ),
        end_of_treatment=EndOfTreatment("EOT", "End of treatment", 0, 30),
        follow_up=FollowUp(
            code_prefix="FU",
            label_template="Follow-up {number}",
            first_day=84,
            every_days=84,
            window_before=14,
            window_after=14,
            until=frozenset({StopEvent.DEATH}),
        ),
    )
    return replace(base, **changes)


def test_a_sound_schedule_has_no_problems():
    assert validate_schedule(_schedule()) == []


def test_both_declared_schedules_pass_validation():
    assert validate_schedule(ICRG) == []
    assert validate_schedule(PALMARES) == []


def test_validation_catches_duplicate_fixed_visit_codes():
    problems = validate_schedule(
        _schedule(VisitDef("BL", "Baseline", 0, 0, 3), VisitDef("BL", "Again", 28, 3, 7))
    )
    assert "visit codes are not unique: BL" in problems


def test_validation_catches_a_fixed_code_that_a_repeat_also_generates():
    # Repeats give M3 (day 84), M6 ...; a fixed visit may not be called M6.
    problems = validate_schedule(
        _schedule(VisitDef("BL", "Baseline", 0, 0, 3), VisitDef("M6", "Month 6?", 28, 3, 7))
    )
    assert "visit codes are not unique: M6" in problems


def test_validation_catches_follow_up_codes_clashing_with_repeats():
    repeat = replace(_schedule().repeat, code_prefix="FU", numbering=Numbering.OCCURRENCE)
    problems = validate_schedule(_schedule(repeat=repeat))
    assert any(p.startswith("visit codes are not unique: FU1, FU2") for p in problems)


def test_validation_catches_overlapping_fixed_windows():
    # M1 window days 25..54 reaches into M2 window days 53..63.
    problems = validate_schedule(
        _schedule(
            VisitDef("BL", "Baseline", 0, 0, 3),
            VisitDef("M1", "Month 1", 28, 3, 26),
            VisitDef("M2", "Month 2", 56, 3, 7),
        )
    )
    assert "windows of M1 (days 25..54) and M2 (days 53..63) overlap" in problems


def test_windows_sharing_one_day_overlap_but_adjacent_days_do_not():
    touching = _schedule(
        VisitDef("BL", "Baseline", 0, 0, 3),
        VisitDef("M1", "Month 1", 28, 3, 25),  # ends day 53, M2 opens day 53
        VisitDef("M2", "Month 2", 56, 3, 7),
    )
    adjacent = _schedule(
        VisitDef("BL", "Baseline", 0, 0, 3),
        VisitDef("M1", "Month 1", 28, 3, 24),  # ends day 52
        VisitDef("M2", "Month 2", 56, 3, 7),
    )
    assert any("overlap" in problem for problem in validate_schedule(touching))
    assert validate_schedule(adjacent) == []


def test_validation_catches_overlapping_repeat_windows():
    repeat = replace(_schedule().repeat, window_before=42, window_after=42)
    problems = validate_schedule(_schedule(repeat=repeat))
    assert "windows of M3 (days 42..126) and M6 (days 126..210) overlap" in problems


def test_validation_catches_end_of_treatment_overlapping_first_follow_up():
    eot = EndOfTreatment("EOT", "End of treatment", 0, 70)
    problems = validate_schedule(_schedule(end_of_treatment=eot))
    assert "windows of EOT (days 0..70) and FU1 (days 70..98) overlap" in problems


def test_validation_catches_negative_window_sizes():
    problems = validate_schedule(
        _schedule(VisitDef("BL", "Baseline", 0, -1, 3), VisitDef("M1", "Month 1", 28, 3, 7))
    )
    assert "BL: window sizes must not be negative (-1 before, 3 after)" in problems


def test_validation_catches_visits_declared_out_of_day_order():
    problems = validate_schedule(
        _schedule(VisitDef("M1", "Month 1", 28, 3, 7), VisitDef("BL", "Baseline", 0, 0, 3))
    )
    assert "fixed visits must be declared in day order" in problems


def test_validation_catches_month_codes_on_days_that_are_not_whole_months():
    repeat = replace(_schedule().repeat, first_day=91, every_days=91)
    problems = validate_schedule(_schedule(repeat=repeat))
    assert "repeating visits: month numbering needs days that are whole 28-day months" in problems


def test_validation_catches_required_forms_missing_from_the_visit():
    visit = VisitDef("BL", "Baseline", 0, 0, 3, forms=("vital_signs",), required_forms=("ecg",))
    problems = validate_schedule(_schedule(visit))
    assert "BL: required forms not among its forms: ecg" in problems


def test_validation_catches_end_of_treatment_when_visits_do_not_stop_at_progression():
    repeat = replace(_schedule().repeat, until=frozenset({StopEvent.DEATH}))
    problems = validate_schedule(_schedule(repeat=repeat))
    assert "end of treatment follows progression but visits do not stop there" in problems


def test_validation_catches_a_horizon_shorter_than_the_repeat_interval():
    problems = validate_schedule(_schedule(materialise_ahead_days=83))
    assert any(problem.startswith("materialise_ahead_days is shorter") for problem in problems)
