"""Progression and death drive the schedule as the protocol says."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from enrollment import services as patient_services
from enrollment.models import Enrolment, Patient
from tests.factories import enrol
from visits import services
from visits.models import Visit

TODAY = date(2026, 2, 1)


@pytest.fixture
def on_treatment(world, coordinator):
    patient = enrol(world.patient_a1, coordinator=coordinator, today=TODAY)
    return patient_services.patient_change_status(
        actor=coordinator, patient=patient, status="on_treatment", reason="Dosed")


def test_progression_cancels_later_visits_and_schedules_eot_and_follow_up(on_treatment,
                                                                         coordinator):
    day1 = Enrolment.objects.get(patient=on_treatment).day1
    progression = day1 + timedelta(days=60)
    services.record_progression(actor=coordinator, patient=on_treatment,
                                progression_date=progression, basis="clinical",
                                reason="Symptomatic liver progression",
                                today=progression + timedelta(days=1))
    status = dict(Visit.objects.filter(patient=on_treatment).values_list("code", "status"))
    assert status["M1"] == status["M2"] == "planned"  # days 28 and 56: before it, kept
    assert status["M3"] == status["M6"] == "cancelled"  # days 84 and 168
    eot = Visit.objects.get(patient=on_treatment, code="EOT")
    assert (eot.target_date, eot.window_end) == (progression, progression + timedelta(days=30))
    fu1 = Visit.objects.get(patient=on_treatment, code="FU1")
    assert fu1.target_date == progression + timedelta(days=84)
    assert Patient.objects.get(pk=on_treatment.pk).status == "off_treatment"
    enrolment = Enrolment.objects.get(patient=on_treatment)
    assert (enrolment.progression_date, enrolment.progression_basis) == (progression, "clinical")


def test_progression_is_refused_before_day1_in_the_future_or_twice(on_treatment, coordinator):
    day1 = Enrolment.objects.get(patient=on_treatment).day1
    for bad in (day1 - timedelta(days=1), date.today() + timedelta(days=2)):
        with pytest.raises(ValidationError) as excinfo:
            services.record_progression(actor=coordinator, patient=on_treatment,
                                        progression_date=bad, basis="clinical", reason="x")
        assert "progression_date" in excinfo.value.message_dict
    services.record_progression(actor=coordinator, patient=on_treatment,
                                progression_date=day1 + timedelta(days=10), basis="clinical",
                                reason="x")
    with pytest.raises(ValidationError, match="already recorded"):
        services.record_progression(actor=coordinator,
                                    patient=Patient.objects.get(pk=on_treatment.pk),
                                    progression_date=day1 + timedelta(days=11),
                                    basis="clinical", reason="x")


def test_death_cancels_every_later_visit_and_ends_the_study(on_treatment, coordinator):
    day1 = Enrolment.objects.get(patient=on_treatment).day1
    death = day1 + timedelta(days=20)
    services.record_death(actor=coordinator, patient=on_treatment, death_date=death,
                          cause="adverse_event", reason="Reported by the family")
    patient = Patient.objects.get(pk=on_treatment.pk)
    assert (patient.status, patient.death_date, patient.death_cause) == (
        "off_study", death, "adverse_event")
    assert not Visit.objects.filter(patient=patient, status="planned",
                                    target_date__gt=death).exists()
    assert patient.history.latest().history_change_reason == (
        "Death recorded: Reported by the family")


def test_progression_page_records_it(client, on_treatment, coordinator):
    client.force_login(coordinator)
    day1 = Enrolment.objects.get(patient=on_treatment).day1
    url = reverse("progression-record", args=[on_treatment.subject_id])
    response = client.post(url, {"version": on_treatment.version,
                                 "progression_date": (day1 + timedelta(days=5)).isoformat(),
                                 "basis": "clinical", "reason": ""})
    assert "reason" in response.context["form"].errors
    client.post(url, {"version": on_treatment.version,
                      "progression_date": (day1 + timedelta(days=5)).isoformat(),
                      "basis": "clinical", "reason": "New bone pain, scan confirms"})
    assert Enrolment.objects.get(patient=on_treatment).progression_date == day1 + timedelta(
        days=5)
    casebook = client.get(reverse("patient-detail", args=[on_treatment.subject_id]))
    assert "EOT" in casebook.content.decode()
