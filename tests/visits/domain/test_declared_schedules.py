"""The declared schedules say what the protocols say."""

from trialsite.protocols.icrg0201_schedule import SCHEDULE as ICRG
from trialsite.protocols.palmares2_schedule import SCHEDULE as PALMARES
from trialsite.protocols.schedule import StopEvent

FORM_CODES = {
    "performance_status",
    "vital_signs",
    "haematology",
    "chemistry",
    "drug_exposure",
    "adverse_events",
    "concomitant_medications",
    "tumour_assessment",
    "survival_status",
}


def fixed(schedule):
    return {visit.code: visit for visit in schedule.visits}


def window(definition):
    return (definition.day - definition.window_before, definition.day + definition.window_after)


def on_treatment_definitions(schedule):
    return [*schedule.visits, schedule.repeat, schedule.end_of_treatment]


def test_icrg_fixed_visits_and_their_day_windows():
    visits = fixed(ICRG)
    assert list(visits) == ["SCR", "BL", "M1", "M2", "M3"]
    assert window(visits["SCR"]) == (-28, -1)
    assert window(visits["BL"]) == (0, 3)
    assert (visits["M1"].day, window(visits["M1"])) == (28, (25, 35))
    assert (visits["M2"].day, window(visits["M2"])) == (56, (53, 63))
    assert (visits["M3"].day, window(visits["M3"])) == (84, (77, 91))


def test_icrg_quarterly_visits_start_at_month_6_and_stop_at_progression_death_withdrawal():
    repeat = ICRG.repeat
    assert (repeat.first_day, repeat.every_days) == (168, 84)
    assert (repeat.window_before, repeat.window_after) == (14, 14)
    assert repeat.until == {StopEvent.PROGRESSION, StopEvent.DEATH, StopEvent.WITHDRAWAL,
                            StopEvent.DATA_CUT_OFF}
    # Stopping treatment is not among them: tumour assessments go on until progression.


def test_icrg_end_of_treatment_and_survival_follow_up_rules():
    eot, follow_up = ICRG.end_of_treatment, ICRG.follow_up
    assert (eot.code, eot.trigger, eot.window_before, eot.window_after) == (
        "EOT",
        StopEvent.PROGRESSION,
        0,
        30,
    )
    assert (follow_up.first_day, follow_up.every_days) == (84, 84)
    assert (follow_up.window_before, follow_up.window_after) == (14, 14)
    assert follow_up.code_for(1) == "FU1"


def test_icrg_liquid_biopsy_at_baseline_every_month_visit_quarterly_and_eot():
    with_biopsy = [d for d in on_treatment_definitions(ICRG) if "liquid_biopsy" in d.samples]
    assert [getattr(d, "code", None) for d in with_biopsy] == [
        "BL", "M1", "M2", "M3", None, "EOT"  # None: the repeating rule (M6, M9 ...)
    ]
    assert ICRG.follow_up.samples == ()


def test_icrg_recist_imaging_at_screening_month_3_and_quarterly_only():
    visits = fixed(ICRG)
    imaged = {code for code, visit in visits.items() if "recist_imaging" in visit.assessments}
    assert imaged == {"SCR", "M3"}
    assert "recist_imaging" in ICRG.repeat.assessments
    assert "tumour_assessment" in ICRG.repeat.required_forms


def test_icrg_clinical_assessment_and_labs_at_every_on_treatment_visit():
    for definition in on_treatment_definitions(ICRG):
        assert {"clinical_assessment", "haematology_labs", "chemistry_labs"} <= set(
            definition.assessments
        )
        assert {"haematology", "chemistry"} <= set(definition.forms)


def test_icrg_allows_unscheduled_visits():
    assert ICRG.unscheduled.code_for(1) == "UNS1"


def test_icrg_materialises_two_quarterly_intervals_ahead():
    assert ICRG.materialise_ahead_days == 2 * 84
    assert ICRG.retrospective_entry is False


def test_palmares_follows_up_every_91_days_plus_minus_30_until_death_withdrawal_or_cut_off():
    repeat = PALMARES.repeat
    assert (repeat.first_day, repeat.every_days) == (91, 91)
    assert (repeat.window_before, repeat.window_after) == (30, 30)
    assert repeat.until == {StopEvent.DEATH, StopEvent.WITHDRAWAL, StopEvent.DATA_CUT_OFF}


def test_palmares_has_no_end_of_treatment_and_enters_past_visits_as_history():
    assert PALMARES.end_of_treatment is None
    assert PALMARES.follow_up is None
    assert PALMARES.retrospective_entry is True
    assert "CDK4/6 inhibitor" in PALMARES.anchor


def test_declared_forms_use_the_known_form_codes():
    for schedule in (ICRG, PALMARES):
        definitions = [
            *schedule.visits,
            schedule.repeat,
            schedule.end_of_treatment,
            schedule.follow_up,
            schedule.unscheduled,
        ]
        for definition in filter(None, definitions):
            assert set(definition.forms) <= FORM_CODES
