"""The coordinator's home: missing forms and recent serious adverse events, in fixed queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import enrol, register_patient
from tests.visits.crf.test_services import ADVERSE_EVENT, PERFORMANCE_STATUS, visit_of
from trialsite.models import Role
from visits.crf import selectors as crf_selectors
from visits.crf import services as crf_services
from visits.models import Visit


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def home(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/")
    assert response.status_code == 200
    return response, len(ctx.captured_queries)


def enrolled(world, n):
    coordinator = world.users[Role.COORDINATOR]
    patients = [enrol(world.patient_a1, coordinator=coordinator)]
    for _ in range(n - 1):
        patients.append(enrol(register_patient(world.site_a1, actor=coordinator),
                              coordinator=coordinator))
    return patients


def make_incomplete(coordinator, patients, n):
    """Enter the performance status of ``n`` planned visits: each is then incomplete."""
    visits = [v for v in Visit.objects.planned().filter(patient__in=patients)
              .exclude(code="SCR").order_by("patient_id", "target_date")][:n]
    assert len(visits) == n
    for visit in visits:
        crf_services.performance_status_save(
            actor=coordinator, visit=visit_of(visit.patient, visit.code),
            values={**PERFORMANCE_STATUS, "visit_date": date(2026, 2, 27)})
    return visits


def report_saes(coordinator, patient, n, code="M1"):
    return [crf_services.adverse_event_create(
        actor=coordinator, visit=visit_of(patient, code),
        values={**ADVERSE_EVENT, "term": f"Event {i}", "serious": True,
                "sae_hospitalisation": True}) for i in range(n)]


def test_home_lists_missing_forms_and_recent_serious_adverse_events(coordinator_client,
                                                                     world, coordinator):
    patient = enrolled(world, 1)[0]
    crf_services.adverse_event_create(actor=coordinator, visit=visit_of(patient, "M1"),
                                      values=ADVERSE_EVENT)  # not serious: not listed
    [visit] = make_incomplete(coordinator, [patient], 1)
    [sae] = report_saes(coordinator, patient, 1)
    response, _ = home(coordinator_client)
    page = response.content.decode()
    assert 'id="week-missing"' in page and 'id="week-sae"' in page
    visit_url = reverse("visit-detail", args=[patient.subject_id, visit.code])
    assert visit_url in page
    assert "missing vital_signs, haematology, chemistry" in page
    ae_url = reverse("visit-form", args=[patient.subject_id, "M1", "adverse_events"])
    assert f'{ae_url}#item-{sae.pk}' in page
    assert "Serious adverse events (last 30 days)" in page
    assert "Event 0, grade 3" in page and "Neutrophil count decreased, grade" not in page
    assert 'class="sae-row"' in page


def test_serious_adverse_events_older_than_30_days_and_other_sites_are_left_out(
        world, coordinator):
    patient = enrolled(world, 1)[0]
    report_saes(coordinator, patient, 1)
    sites = [world.site_a1]
    assert len(crf_selectors.home_serious_adverse_events(user=coordinator, sites=sites)) == 1
    later = timezone.now() + timedelta(days=31)
    assert crf_selectors.home_serious_adverse_events(user=coordinator, sites=sites,
                                                     now=later) == []
    assert crf_selectors.home_serious_adverse_events(user=coordinator,
                                                     sites=[world.site_a2]) == []


def test_readers_have_no_visit_week(client, world):
    client.force_login(world.users[Role.MONITOR])
    assert 'id="week-sae"' not in client.get("/").content.decode()


def test_home_costs_the_same_for_1_and_25_rows(coordinator_client, world, coordinator):
    patients = enrolled(world, 4)
    make_incomplete(coordinator, patients, 1)  # BL of the first patient
    report_saes(coordinator, patients[0], 1, code="BL")
    response, one = home(coordinator_client)
    page = response.content.decode()
    assert page.count('class="sae-row"') == 1
    assert page.split('id="week-missing"')[1].split('id="week-sae"')[0].count("<li>") == 1
    make_incomplete(coordinator, patients, 24)
    report_saes(coordinator, patients[0], 24, code="BL")
    response, many = home(coordinator_client)
    page = response.content.decode()
    assert page.count('class="sae-row"') == 25
    missing = page.split('id="week-missing"')[1].split('id="week-sae"')[0]
    assert missing.count("<li>") == 25
    assert many == one
