"""The daily extension follows every patient not off study; the first dose sets on-treatment."""

from datetime import date, timedelta

import pytest

from enrollment import services as patient_services
from enrollment.models import Enrolment, Patient
from tests.factories import enrol
from trialsite.services import system_user
from visits import services
from visits.crf import services as crf_services
from visits.models import Visit

TODAY = date(2026, 2, 1)


def _codes(patient):
    return set(Visit.objects.filter(patient=patient).values_list("code", flat=True))


def _exposure(enrolment, **changes):
    return {"dose_level": "125", "cycle_start_date": enrolment.day1, "days_taken": 1,
            "interrupted": False, "interruption_reason": "", "reduced": False,
            "reduction_reason": "", "endocrine_adherence": "as_prescribed",
            "ovarian_suppression_adherence": ("as_prescribed" if enrolment.ovarian_suppression
                                              else ""), **changes}


@pytest.fixture
def enrolled(world, coordinator):
    return enrol(world.patient_a1, coordinator=coordinator, today=TODAY)


def test_progressed_patient_off_treatment_gets_follow_up_after_fu2(enrolled, coordinator):
    patient = patient_services.patient_change_status(
        actor=coordinator, patient=enrolled, status="on_treatment", reason="Dosed")
    day1 = Enrolment.objects.get(patient=patient).day1
    progression = day1 + timedelta(days=60)
    services.record_progression(actor=coordinator, patient=patient, progression_date=progression,
                                basis="clinical", reason="Liver progression", today=progression)
    assert Patient.objects.get(pk=patient.pk).status == "off_treatment"
    assert {"EOT", "FU1", "FU2"} <= _codes(patient) and "FU3" not in _codes(patient)
    # A year later the job has added FU3.. up to the horizon: progression + 84 n <= day + 168.
    later = progression + timedelta(days=365)
    services.schedules_extend(actor=system_user(), today=later)
    fu = {c for c in _codes(patient) if c.startswith("FU")}
    assert fu == {f"FU{n}" for n in range(1, 7)}  # 84 x 6 = 504 <= 533 < 588
    # No quarterly visit after progression is ever created again.
    assert not Visit.objects.filter(patient=patient, kind="repeating",
                                    target_date__gt=progression, status="planned").exists()


def test_toxicity_stop_keeps_the_quarterly_visits_growing(enrolled, coordinator):
    patient = patient_services.patient_change_status(
        actor=coordinator, patient=enrolled, status="on_treatment", reason="Dosed")
    patient_services.patient_change_status(actor=coordinator, patient=patient,
                                           status="off_treatment", reason="Grade 4 neutropenia")
    day1 = Enrolment.objects.get(patient=patient).day1
    services.schedules_extend(actor=system_user(), today=day1 + timedelta(days=400))
    assert {"M12", "M15", "M18"} <= _codes(patient)  # M18 day 504 <= 400 + 168 = 568
    assert "M21" not in _codes(patient)  # day 588, beyond the horizon


def test_dead_or_withdrawn_patients_get_no_new_visit(world, coordinator):
    dead = enrol(world.patient_a1, coordinator=coordinator, today=TODAY)
    withdrawn = enrol(world.patient_a2, today=TODAY)
    day1 = Enrolment.objects.get(patient=dead).day1
    services.record_death(actor=coordinator, patient=dead, death_date=day1 + timedelta(days=5),
                          cause="other", reason="Reported by the family")
    services.patient_withdraw(actor=coordinator_of(withdrawn),
                              patient=withdrawn, withdrawal_date=day1 + timedelta(days=5),
                              reason="Patient decision")
    before = {p.pk: _codes(p) for p in (dead, withdrawn)}
    assert services.schedules_extend(actor=system_user(), today=day1 + timedelta(days=900)) == 0
    assert {p.pk: _codes(p) for p in (dead, withdrawn)} == before


def coordinator_of(patient):
    from tests.factories import site_coordinator

    return site_coordinator(patient.site)


def test_first_dose_puts_the_patient_on_treatment_as_the_system(enrolled, coordinator):
    enrolment = Enrolment.objects.get(patient=enrolled)
    bl = Visit.objects.select_related("patient__site__study").get(patient=enrolled, code="BL")
    crf_services.drug_exposure_save(actor=coordinator, visit=bl, values=_exposure(enrolment))
    patient = Patient.objects.get(pk=enrolled.pk)
    assert patient.status == "on_treatment"
    change = patient.history.order_by("-history_date", "-history_id").first()
    assert change.history_user == system_user()
    assert change.history_change_reason.startswith("First dose recorded")
    assert "BL" in change.history_change_reason
    # A second dose changes nothing more.
    versions = patient.history.count()
    m1 = Visit.objects.select_related("patient__site__study").get(patient=enrolled, code="M1")
    crf_services.drug_exposure_save(actor=coordinator, visit=m1, values=_exposure(
        enrolment, cycle_start_date=enrolment.day1 + timedelta(days=28), days_taken=21))
    assert Patient.objects.get(pk=enrolled.pk).history.count() == versions


def test_an_exposure_record_of_no_dose_leaves_the_patient_enrolled(enrolled, coordinator):
    enrolment = Enrolment.objects.get(patient=enrolled)
    bl = Visit.objects.select_related("patient__site__study").get(patient=enrolled, code="BL")
    crf_services.drug_exposure_save(actor=coordinator, visit=bl,
                                    values=_exposure(enrolment, days_taken=0))
    assert Patient.objects.get(pk=enrolled.pk).status == "enrolled"
