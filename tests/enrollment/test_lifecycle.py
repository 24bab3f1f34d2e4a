from datetime import date

import pytest

from enrollment.domain.lifecycle import (
    PatientStatus,
    TransitionNotAllowed,
    age_in_years,
    check_transition,
    next_statuses,
    status_after_dose,
)

S = PatientStatus


@pytest.mark.parametrize(
    "current,target",
    [
        (S.SCREENING, S.SCREEN_FAILED), (S.SCREENING, S.ENROLLED), (S.SCREENING, S.OFF_STUDY),
        (S.ENROLLED, S.ON_TREATMENT), (S.ENROLLED, S.OFF_STUDY),
        (S.ON_TREATMENT, S.OFF_TREATMENT), (S.ON_TREATMENT, S.OFF_STUDY),
        (S.OFF_TREATMENT, S.OFF_STUDY),
    ],
)
def test_allowed_transitions_pass(current, target):
    check_transition(current, target)


@pytest.mark.parametrize(
    "current,target",
    [
        (S.SCREEN_FAILED, S.ENROLLED), (S.OFF_STUDY, S.ON_TREATMENT), (S.SCREENING, S.ON_TREATMENT),
        (S.ENROLLED, S.SCREENING), (S.OFF_TREATMENT, S.ON_TREATMENT), (S.ON_TREATMENT, S.ENROLLED),
    ],
)
def test_forbidden_transitions_say_what_is_allowed(current, target):
    with pytest.raises(TransitionNotAllowed) as excinfo:
        check_transition(current, target)
    message = str(excinfo.value)
    assert current.label.lower() in message and target.label.lower() in message
    assert "allowed next" in message


def test_final_statuses_have_no_next_step():
    assert next_statuses(S.SCREEN_FAILED) == []
    assert next_statuses(S.OFF_STUDY) == []
    assert next_statuses(S.ENROLLED) == [S.ON_TREATMENT, S.OFF_STUDY]


@pytest.mark.parametrize(
    "birth,on,years",
    [
        (date(2000, 3, 15), date(2018, 3, 14), 17),
        (date(2000, 3, 15), date(2018, 3, 15), 18),
        (date(2000, 2, 29), date(2018, 2, 28), 17),
        (date(2000, 2, 29), date(2018, 3, 1), 18),
    ],
)
def test_age_counts_completed_years_with_the_birthday_itself(birth, on, years):
    assert age_in_years(birth, on) == years


# --- status follows the data ------------------------------------------------------------------

def test_first_dose_moves_an_enrolled_patient_on_treatment():
    assert status_after_dose("enrolled", dose_given=True) == "on_treatment"


def test_an_exposure_record_without_a_dose_moves_nobody():
    assert status_after_dose("enrolled", dose_given=False) is None


@pytest.mark.parametrize("status", ["on_treatment", "off_treatment", "off_study"])
def test_a_dose_recorded_later_changes_no_status(status):
    assert status_after_dose(status, dose_given=True) is None
