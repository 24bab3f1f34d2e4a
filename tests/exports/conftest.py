"""A populated trial for the export tests: every dataset has rows at several sites."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import api_key, enrol, site_coordinator
from trialsite.audit import audited_save
from trialsite.models import Role
from trialsite.services import system_user


def _visit(patient, code):
    from visits.models import Visit

    return Visit.objects.select_related("patient__site__study", "patient__enrolment").get(
        patient=patient, code=code)


def _clinical_data(patient, coordinator, *, with_lists=True):
    """Baseline forms, an adverse event, a medication, a tumour baseline and a follow-up."""
    from outcomes import services as outcome_services
    from tests.visits.crf.test_services import (
        ADVERSE_EVENT,
        MEDICATION,
        SAVE,
    )
    from visits.crf import services as crf_services

    bl = _visit(patient, "BL")
    for form_code in ("performance_status", "vital_signs", "haematology", "chemistry",
                      "drug_exposure"):
        service, values = SAVE[form_code]
        service(actor=coordinator, visit=bl, values=values)
    if with_lists:
        crf_services.adverse_event_create(actor=coordinator, visit=bl, values=ADVERSE_EVENT)
        crf_services.concomitant_medication_create(actor=coordinator, visit=bl,
                                                   values=MEDICATION)
        outcome_services.baseline_record(
            actor=coordinator, patient=patient, date=date(2026, 1, 20),
            targets=[{"lesion_id": "T1", "organ": "liver", "diameter_mm": Decimal("50"),
                      "nodal": False}],
            nontargets=[{"lesion_id": "NT1", "organ": "bone"}])
        m3 = _visit(patient, "M3")
        outcome_services.assessment_record(
            actor=coordinator, patient=patient, visit=m3, date=m3.target_date,
            measurements={"T1": Decimal("35")}, statuses={"NT1": "PRESENT"}, new_lesions="NO")


def _biosamples(patient):
    from biosamples.models import Aliquot, Sample, Shipment

    actor, site = system_user(), patient.site
    sample = audited_save(Sample(site=site, visit=_visit(patient, "BL"),
                                 sample_code="liquid_biopsy", status=Sample.Status.COLLECTED,
                                 drawn_at=datetime(2026, 1, 29, 8, tzinfo=UTC)), actor=actor)
    for number in (1, 2):
        audited_save(Aliquot(site=site, sample=sample, number=number,
                             label=f"{patient.subject_id}-BL-LB-0{number}",
                             volume_ml=Decimal("0.5")), actor=actor)
    audited_save(Shipment(site=site, reference=f"{site.code}-SH001", destination_lab="QOLAB"),
                 actor=actor)


@pytest.fixture
def trial(world):
    """Patients with data at sites A1 and A2 (study A) and B1 (study B)."""
    from trialsite.monitoring.services import query_open
    from visits import services as visit_services

    coordinator = world.users[Role.COORDINATOR]
    today = date(2026, 6, 1)
    a1 = enrol(world.patient_a1, coordinator=coordinator, today=today)
    a2 = enrol(world.patient_a2, today=today)
    enrol(world.patient_b1, today=today)
    for patient in (a1, a2):
        if not patient.visits.exists():
            visit_services.schedule_create(actor=coordinator, enrolment=patient.enrolment,
                                           today=today)

    _clinical_data(a1, coordinator)
    _clinical_data(a2, site_coordinator(world.site_a2))
    for patient in (a1, a2):
        _biosamples(patient)
    from visits.crf.models import VitalSigns

    query_open(actor=world.users[Role.MONITOR], record=VitalSigns.objects.get(
        visit__patient=a1), field_name="weight_kg", text="Please check the weight.")
    query_open(actor=system_user(), record=VitalSigns.objects.get(visit__patient=a2),
               field_name="weight_kg", text="Weight out of the expected range.")
    return world


@pytest.fixture
def api_for(world):
    def make(role_or_user):
        user = world.users[role_or_user] if isinstance(role_or_user, str) else role_or_user
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user)}")
        return client

    return make


def body(response):
    return b"".join(response.streaming_content).decode()


def now():
    return timezone.now()
