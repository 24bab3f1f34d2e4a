"""Screening through the services: verdicts, signatures, invalidation, failure, enrolment."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from eligibility import services
from eligibility.models import Screening
from enrollment.models import Enrolment, Patient
from tests.factories import enrol, screen
from trialsite.models import Role

PASSWORD = "correct-horse-battery"


def test_saved_screening_stores_verdict_failed_and_missing(world, coordinator):
    eligible = screen(world.patient_a1, actor=coordinator)
    assert (eligible.verdict, eligible.failed_criteria, eligible.missing_variables) == (
        "ELIGIBLE", [], [])
    failing = screen(world.patient_a2, failing=True)
    assert failing.verdict == "NOT_ELIGIBLE" and failing.failed_criteria == ["INC10"]


def test_registration_facts_come_from_the_patient(world, coordinator):
    screening = screen(world.patient_a1, actor=coordinator, sex="M", birth_date="2015-01-01")
    assert screening.values["sex"] == "F"
    assert screening.values["birth_date"] == "1970-05-17"


def test_changing_a_saved_screening_needs_a_reason(world, coordinator):
    screening = screen(world.patient_a1, actor=coordinator)
    with pytest.raises(ValidationError) as excinfo:
        services.screening_save(actor=coordinator, patient=world.patient_a1,
                                values=screening.values, expected_version=1, reason="")
    assert "reason" in excinfo.value.message_dict


def test_investigator_confirms_with_password_and_signature_is_recorded(world, coordinator):
    screening = screen(world.patient_a1, actor=coordinator)
    investigator = world.users[Role.INVESTIGATOR]
    signed = services.screening_confirm(actor=investigator, screening=screening,
                                        password=PASSWORD, expected_version=1)
    assert signed.confirmed_by == investigator and signed.confirmed_at is not None
    latest = signed.history.latest()
    assert latest.history_user == investigator
    assert latest.history_change_reason == (
        f"Electronic signature of {investigator.printed_name}: "
        "I confirm this patient meets all eligibility criteria"
    )


def test_wrong_password_signs_nothing(world, coordinator):
    screening = screen(world.patient_a1, actor=coordinator)
    with pytest.raises(ValidationError) as excinfo:
        services.screening_confirm(actor=world.users[Role.INVESTIGATOR], screening=screening,
                                   password="guess")
    assert "password" in excinfo.value.message_dict
    assert not Screening.objects.get(pk=screening.pk).is_confirmed


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.MONITOR, Role.SPONSOR])
def test_only_an_investigator_of_the_site_confirms(world, role):
    screening = screen(world.patient_a1)
    with pytest.raises(PermissionDenied):
        services.screening_confirm(actor=world.users[role], screening=screening,
                                   password=PASSWORD)


def test_investigator_of_another_site_cannot_confirm(world):
    screening = screen(world.patient_a2)
    with pytest.raises(PermissionDenied):
        services.screening_confirm(actor=world.users[Role.INVESTIGATOR], screening=screening,
                                   password=PASSWORD)


@pytest.mark.parametrize("kind", ["failing", "incomplete"])
def test_only_an_eligible_screening_can_be_confirmed(world, coordinator, kind):
    screening = screen(world.patient_a1, actor=coordinator, **{kind: True})
    with pytest.raises(ValidationError) as excinfo:
        services.screening_confirm(actor=world.users[Role.INVESTIGATOR], screening=screening,
                                   password=PASSWORD)
    assert "Only an eligible screening" in excinfo.value.messages[0]


def test_a_change_after_confirmation_invalidates_it_visibly(world, coordinator):
    screening = screen(world.patient_a1, actor=coordinator)
    signed = services.screening_confirm(actor=world.users[Role.INVESTIGATOR],
                                        screening=screening, password=PASSWORD)
    values = {**signed.values, "neutrophils_g_l": "3.3"}
    changed = services.screening_save(actor=coordinator, patient=world.patient_a1,
                                      values=values, expected_version=signed.version,
                                      reason="Lab re-entered")
    assert not changed.is_confirmed and changed.confirmation_invalidated_at is not None
    assert "invalidates the eligibility confirmation" in changed.history.latest(
    ).history_change_reason
    assert services.enrolment_refusal(changed) == (
        "An investigator has not confirmed eligibility yet.")


def test_saving_identical_values_keeps_the_confirmation(world, coordinator):
    screening = screen(world.patient_a1, actor=coordinator)
    signed = services.screening_confirm(actor=world.users[Role.INVESTIGATOR],
                                        screening=screening, password=PASSWORD)
    again = services.screening_save(actor=coordinator, patient=world.patient_a1,
                                    values=signed.values, expected_version=signed.version,
                                    reason="Saved again")
    assert again.is_confirmed


def test_registration_change_after_confirmation_blocks_enrolment(world, coordinator):
    from enrollment import services as patient_services

    screening = screen(world.patient_a1, actor=coordinator)
    signed = services.screening_confirm(actor=world.users[Role.INVESTIGATOR],
                                        screening=screening, password=PASSWORD)
    patient_services.patient_update(actor=coordinator, patient=world.patient_a1,
                                    expected_version=1, reason="Typo",
                                    consent_date=world.patient_a1.consent_date.replace(day=9))
    signed.refresh_from_db()
    assert "changed after the confirmation" in services.enrolment_refusal(signed)


def test_enrolment_records_day1_and_treatment(world, coordinator):
    screening = screen(world.patient_a1, actor=coordinator)
    signed = services.screening_confirm(actor=world.users[Role.INVESTIGATOR],
                                        screening=screening, password=PASSWORD)
    enrolment = services.screening_enrol(
        actor=coordinator, screening=signed, cdk46i="PALBOCICLIB",
        cdk46i_start_dose_mg=Decimal("125"), endocrine="LETROZOLE",
    )
    assert str(enrolment.day1) == signed.values["registration_date"]
    assert (enrolment.cdk46i, enrolment.cdk46i_start_dose_mg, enrolment.endocrine) == (
        "PALBOCICLIB", Decimal("125"), "LETROZOLE")
    assert Patient.objects.get(pk=world.patient_a1.pk).status == "enrolled"


def test_enrolment_without_confirmation_is_refused_with_the_reason(world, coordinator):
    screening = screen(world.patient_a1, actor=coordinator)
    with pytest.raises(ValidationError) as excinfo:
        services.screening_enrol(actor=coordinator, screening=screening, cdk46i="PALBOCICLIB",
                                 cdk46i_start_dose_mg="125", endocrine="LETROZOLE")
    assert "not confirmed" in excinfo.value.messages[0]
    assert not Enrolment.objects.exists()
    assert Patient.objects.get(pk=world.patient_a1.pk).status == "screening"


@pytest.mark.parametrize(
    "field,value,message",
    [("cdk46i_start_dose_mg", "100", "starts Palbociclib at 125"),
     ("endocrine", "FULVESTRANT", "LETROZOLE, ANASTROZOLE"),
     ("cdk46i", "RIBOCICLIB", "PALBOCICLIB")],
)
def test_icrg0201_treatment_follows_the_protocol(world, coordinator, field, value, message):
    screening = screen(world.patient_a1, actor=coordinator)
    signed = services.screening_confirm(actor=world.users[Role.INVESTIGATOR],
                                        screening=screening, password=PASSWORD)
    kwargs = {"cdk46i": "PALBOCICLIB", "cdk46i_start_dose_mg": "125", "endocrine": "LETROZOLE",
              field: value}
    with pytest.raises(ValidationError) as excinfo:
        services.screening_enrol(actor=coordinator, screening=signed, **kwargs)
    assert message in excinfo.value.message_dict[field][0]


def test_palmares2_records_any_cdk46i_at_a_labelled_dose(world):
    patient = enrol(world.patient_b1)
    enrolment = Enrolment.objects.get(patient=patient)
    assert enrolment.cdk46i == "PALBOCICLIB"
    assert str(enrolment.day1) == Screening.objects.get(patient=patient).values[
        "cdk46i_start_date"]


def test_screen_failure_records_failed_criteria_and_status(world, coordinator):
    screening = screen(world.patient_a1, actor=coordinator, failing=True)
    services.screening_record_failure(actor=coordinator, screening=screening,
                                      reason="Neutropenia at screening")
    patient = Patient.objects.get(pk=world.patient_a1.pk)
    assert patient.status == "screen_failed"
    assert patient.history.latest().history_change_reason == "Screen failure: INC10"


def test_an_eligible_screening_cannot_end_in_screen_failure(world, coordinator):
    screening = screen(world.patient_a1, actor=coordinator)
    with pytest.raises(ValidationError):
        services.screening_record_failure(actor=coordinator, screening=screening, reason="x")


def test_a_closed_screening_cannot_change(world, coordinator):
    screening = screen(world.patient_a1, actor=coordinator, failing=True)
    services.screening_record_failure(actor=coordinator, screening=screening, reason="x")
    patient = Patient.objects.get(pk=world.patient_a1.pk)
    with pytest.raises(ValidationError) as excinfo:
        services.screening_save(actor=coordinator, patient=patient, values={},
                                expected_version=2, reason="late")
    assert "screening is closed" in excinfo.value.messages[0]


