"""Who is still followed, and the data cut-off, from the schedules' stated rules.

PALMARES-2 examples use a CDK4/6 inhibitor start on 2024-03-15: FU1 is day 91 (2024-06-14) and
FU2 day 182 (2024-09-13), counted on the calendar. ICRG0201 examples use D1 = 2025-01-06 and a
progression on 2025-06-02 (day 147): survival follow-up every 84 days from it.
"""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from trialsite.protocols.icrg0201_schedule import SCHEDULE as ICRG
from trialsite.protocols.palmares2_schedule import SCHEDULE as PALMARES
from visits.domain.schedule import is_followed, plan, rule_until, validate_schedule

CDK_START = date(2024, 3, 15)
D1 = date(2025, 1, 6)
PROGRESSION = date(2025, 6, 2)


@pytest.mark.parametrize("status", ["enrolled", "on_treatment", "off_treatment"])
def test_every_enrolled_patient_not_off_study_is_followed_whatever_the_treatment(status):
    assert is_followed(status)


@pytest.mark.parametrize("status", ["screening", "screen_failed", "off_study"])
def test_patients_not_enrolled_or_off_study_are_not_followed(status):
    assert not is_followed(status)


def test_a_recorded_death_or_withdrawal_ends_follow_up_whatever_the_status():
    assert not is_followed("off_treatment", death_date=date(2025, 3, 1))
    assert not is_followed("on_treatment", withdrawal_date=date(2025, 3, 1))


def test_follow_up_after_progression_goes_on_for_three_years_without_a_cut_off():
    # 2025-06-02 to 2028-06-02 is 1096 days (2028 is a leap year): FU13 on day 1092.
    visits = plan(ICRG, D1, date(2028, 6, 2), progression_date=PROGRESSION)
    follow_up = [v for v in visits if v.code.startswith("FU")]
    assert [v.code for v in follow_up] == [f"FU{n}" for n in range(1, 14)]
    assert follow_up[-1].target_date == date(2028, 5, 29)


def test_a_visit_on_the_data_cut_off_day_is_planned():
    schedule = replace(PALMARES, data_cut_off=date(2024, 9, 13))
    assert [v.code for v in plan(schedule, CDK_START, date(2030, 1, 1))] == ["BL", "FU1", "FU2"]


def test_a_visit_the_day_after_the_data_cut_off_is_not_planned():
    schedule = replace(PALMARES, data_cut_off=date(2024, 9, 12))
    assert [v.code for v in plan(schedule, CDK_START, date(2030, 1, 1))] == ["BL", "FU1"]


def test_the_cut_off_stops_survival_follow_up_after_progression_too():
    # FU1 = 2025-08-25 (day 84 after progression), FU2 = 2025-11-17.
    schedule = replace(ICRG, data_cut_off=date(2025, 11, 16))
    visits = plan(schedule, D1, date(2030, 1, 1), progression_date=PROGRESSION)
    assert [v.code for v in visits if v.code.startswith("FU")] == ["FU1"]


def test_the_cut_off_never_moves_the_horizon_later():
    assert rule_until(PALMARES, PALMARES.repeat, date(2025, 1, 1)) == date(2025, 1, 1)
    assert rule_until(PALMARES, PALMARES.repeat, date(2041, 6, 1)) == PALMARES.data_cut_off


def test_a_cut_off_that_stops_no_rule_is_refused():
    repeat = replace(ICRG.repeat, until=ICRG.repeat.until - {"data_cut_off"})
    follow_up = replace(ICRG.follow_up, until=ICRG.follow_up.until - {"data_cut_off"})
    schedule = replace(ICRG, repeat=repeat, follow_up=follow_up,
                       data_cut_off=date(2026, 6, 30))
    assert "a data cut-off is declared but no repeating rule stops there" in validate_schedule(
        schedule)


def test_palmares_cut_off_is_the_registry_record_completion_date_marked_as_assumption():
    assert PALMARES.data_cut_off == date(2040, 12, 31)
    note = next(a for a in PALMARES.assumptions if "cut-off" in a.what.lower())
    assert "2040-12-31" in note.what and "NCT06805812" in note.source


def test_icrg_declares_why_its_registry_completion_date_is_not_a_cut_off():
    assert ICRG.data_cut_off is None
    note = next(a for a in ICRG.assumptions if "cut-off" in a.what.lower())
    assert "2026-06-30" in note.source


@pytest.mark.parametrize("schedule", [ICRG, PALMARES], ids=["ICRG0201", "PALMARES-2"])
def test_values_the_registry_text_does_not_give_are_listed_with_a_source(schedule):
    whats = " ".join(a.what.lower() for a in schedule.assumptions)
    assert "window" in whats and "cut-off" in whats
    assert all(a.source.strip() for a in schedule.assumptions)


def test_icrg_toxicity_stop_keeps_quarterly_assessments_until_progression():
    # No progression recorded: the quarterly visits go on (M6 day 168 ... M36 day 1008).
    visits = plan(ICRG, D1, D1 + timedelta(days=1008))
    assert [v.code for v in visits][-3:] == ["M30", "M33", "M36"]
