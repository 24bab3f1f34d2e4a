from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from enrollment import services
from enrollment.domain.lifecycle import PatientStatus
from enrollment.models import Patient
from tests.factories import enrol, register_patient
from trialsite.models import Role


def test_subject_ids_are_site_code_and_three_digit_sequence(world, coordinator):
    second = register_patient(world.site_a1, actor=coordinator)
    assert world.patient_a1.subject_id == "AONE-001"
    assert second.subject_id == "AONE-002"
    assert world.patient_a2.subject_id == "ATWO-001"


def test_subject_numbers_are_never_reused_after_a_void(world, coordinator):
    second = register_patient(world.site_a1, actor=coordinator)
    services.patient_void(actor=coordinator, patient=second, reason="Entered in error")
    third = register_patient(world.site_a1, actor=coordinator)
    assert third.subject_id == "AONE-003"


def test_no_name_field_exists_on_a_patient():
    names = {f.name for f in Patient._meta.get_fields()}
    assert not names & {"name", "first_name", "last_name", "initials", "mrn", "address", "phone"}


@pytest.mark.parametrize("role", [Role.MONITOR, Role.SPONSOR, Role.DATA_MANAGER, Role.CENTRAL_LAB])
def test_only_site_staff_register_patients(world, role):
    with pytest.raises(PermissionDenied):
        register_patient(world.site_a1, actor=world.users[role])


def test_coordinator_cannot_register_at_another_site(world, coordinator):
    with pytest.raises(PermissionDenied):
        register_patient(world.site_a2, actor=coordinator)


@pytest.mark.parametrize(
    "birth,consent,field,message",
    [
        (date(1970, 1, 1), date(1969, 12, 31), "consent_date", "before birth"),
        (date.today() + timedelta(days=1), date.today(), "birth_date", "future"),
        (date(1970, 1, 1), date.today() + timedelta(days=1), "consent_date", "future"),
    ],
)
def test_impossible_dates_are_refused_at_their_field(world, coordinator, birth, consent, field,
                                                    message):
    with pytest.raises(ValidationError) as excinfo:
        register_patient(world.site_a1, actor=coordinator, birth_date=birth, consent_date=consent)
    assert message in " ".join(excinfo.value.message_dict[field])


def test_unknown_consent_version_is_refused(world, coordinator):
    with pytest.raises(ValidationError) as excinfo:
        register_patient(world.site_a1, actor=coordinator, consent_version="7.3")
    assert "1.0" in excinfo.value.message_dict["consent_version"][0]


def test_enrolment_and_screen_failure_are_not_plain_status_changes(world, coordinator):
    for status, word in ((PatientStatus.ENROLLED, "screening"),
                         (PatientStatus.SCREEN_FAILED, "screening")):
        with pytest.raises(ValidationError) as excinfo:
            services.patient_change_status(actor=coordinator, patient=world.patient_a1,
                                           status=status, reason="shortcut")
        assert word in excinfo.value.message_dict["status"][0]
    assert Patient.objects.get(pk=world.patient_a1.pk).status == PatientStatus.SCREENING


def test_status_follows_the_lifecycle(world, coordinator):
    p = enrol(world.patient_a1, coordinator=coordinator)
    p = services.patient_change_status(actor=coordinator, patient=p,
                                       status=PatientStatus.ON_TREATMENT, reason="Dosed")
    assert p.status == PatientStatus.ON_TREATMENT
    with pytest.raises(ValidationError) as excinfo:
        services.patient_change_status(actor=coordinator, patient=p,
                                       status=PatientStatus.SCREENING, reason="oops")
    assert "cannot become screening" in excinfo.value.message_dict["status"][0]
    assert Patient.objects.get(pk=p.pk).status == PatientStatus.ON_TREATMENT


def test_withdrawal_records_date_reason_and_takes_patient_off_study(world, coordinator):
    p = services.patient_withdraw(actor=coordinator, patient=world.patient_a1,
                                  withdrawal_date=date(2026, 2, 1), reason="Patient decision")
    assert p.status == PatientStatus.OFF_STUDY
    assert p.withdrawal_date == date(2026, 2, 1) and p.withdrawal_reason == "Patient decision"
    assert p.history.latest().history_change_reason == "Withdrawal: Patient decision"


def test_withdrawal_before_consent_is_refused(world, coordinator):
    with pytest.raises(ValidationError) as excinfo:
        services.patient_withdraw(actor=coordinator, patient=world.patient_a1,
                                  withdrawal_date=date(2025, 12, 31), reason="x")
    assert "before consent" in excinfo.value.message_dict["withdrawal_date"][0]


def test_voided_record_stays_and_cannot_change(world, coordinator):
    services.patient_void(actor=coordinator, patient=world.patient_a1, reason="Duplicate")
    voided = Patient.objects.get(pk=world.patient_a1.pk)
    assert voided.is_voided and voided.void_reason == "Duplicate"
    with pytest.raises(ValidationError):
        services.patient_change_status(actor=coordinator, patient=voided,
                                       status=PatientStatus.OFF_STUDY, reason="x")
    with pytest.raises(ValidationError):
        services.patient_void(actor=coordinator, patient=voided, reason="again")


def test_void_needs_a_reason(world, coordinator):
    with pytest.raises(ValidationError) as excinfo:
        services.patient_void(actor=coordinator, patient=world.patient_a1, reason=" ")
    assert "reason" in excinfo.value.message_dict
