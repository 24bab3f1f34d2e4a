"""A double submission (double click, browser retry, replayed API call) writes once, never 500."""

import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from enrollment.models import Patient
from tests.visits.crf.test_services import ADVERSE_EVENT, VITAL_SIGNS, enrolled_patient
from tests.visits.crf.test_views import form_url, post_data
from trialsite.models import Role
from visits.crf.models import AdverseEvent, VitalSigns

REGISTRATION = {"sex": "F", "birth_date": "1966-04-02", "consent_date": "2026-03-01",
                "consent_version": "1.1"}


def token_of(page):
    return page.content.decode().split('name="_submit_once" value="')[1].split('"')[0]


def test_a_double_submitted_registration_registers_one_patient(client, world, coordinator):
    client.force_login(coordinator)
    page = client.get(reverse("patient-register"))
    data = {**REGISTRATION, "site": world.site_a1.pk, "_submit_once": token_of(page)}
    before = Patient.objects.count()
    first = client.post(reverse("patient-register"), data)
    second = client.post(reverse("patient-register"), data)
    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert Patient.objects.count() == before + 1


def test_a_form_with_errors_can_be_sent_again_with_its_token(client, world, coordinator):
    client.force_login(coordinator)
    token = token_of(client.get(reverse("patient-register")))
    bad = client.post(reverse("patient-register"), {**REGISTRATION, "site": world.site_a1.pk,
                                                    "birth_date": "", "_submit_once": token})
    assert bad.status_code == 200
    good = client.post(reverse("patient-register"), {**REGISTRATION, "site": world.site_a1.pk,
                                                     "_submit_once": token})
    assert good.status_code == 302


def test_a_double_submitted_first_entry_of_a_visit_form_saves_once(client, world, coordinator):
    patient = enrolled_patient(world)
    client.force_login(coordinator)
    url = form_url(patient, "BL", "vital_signs")
    data = {**post_data(VITAL_SIGNS, version=0), "_submit_once": token_of(client.get(url))}
    assert [client.post(url, data).status_code for _ in range(2)] == [302, 302]
    assert VitalSigns.objects.filter(visit__patient=patient).count() == 1


def test_a_visit_form_first_entry_racing_without_a_token_is_a_clean_form_error(
        client, world, coordinator):
    patient = enrolled_patient(world)
    client.force_login(coordinator)
    url = form_url(patient, "BL", "vital_signs")
    data = post_data(VITAL_SIGNS, version=0)
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)  # a second "first entry": the row exists already
    assert again.status_code in (200, 302)
    assert VitalSigns.objects.filter(visit__patient=patient).count() == 1


def test_a_double_submitted_adverse_event_is_recorded_once(client, world, coordinator):
    patient = enrolled_patient(world)
    client.force_login(coordinator)
    url = form_url(patient, "M1", "adverse_events")
    data = {**post_data(ADVERSE_EVENT), "_submit_once": token_of(client.get(url))}
    assert [client.post(url, data).status_code for _ in range(2)] == [302, 302]
    assert AdverseEvent.objects.filter(patient=patient).count() == 1


def test_an_api_write_replayed_with_its_idempotency_key_writes_once(world, api_key_for):
    from trialsite.monitoring.models import Query

    patient = enrolled_patient(world)
    from tests.visits.crf.test_services import save, visit_of

    vitals = save("vital_signs", world.users[Role.COORDINATOR], visit_of(patient, "BL"))
    api = api_key_for(Role.MONITOR)
    payload = {"dataset": "vital_signs", "record_id": vitals.pk, "variable": "weight_kg",
               "text": "Check the source."}
    first = api.post("/api/v1/queries/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/queries/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 409)
    assert Query.objects.count() == 1


@pytest.fixture
def api_key_for(world):
    from rest_framework.test import APIClient

    from tests.factories import api_key

    def make(role):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(world.users[role])}")
        return client

    return make


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_identical_registrations_at_once_register_one_patient(world, coordinator):
    page_client = Client()
    page_client.force_login(coordinator)
    token = token_of(page_client.get(reverse("patient-register")))
    data = {**REGISTRATION, "site": world.site_a1.pk, "_submit_once": token}
    barrier, statuses = threading.Barrier(2), []

    def submit():
        client = Client()
        client.force_login(coordinator)
        try:
            barrier.wait(timeout=10)
            statuses.append(client.post(reverse("patient-register"), data).status_code)
        finally:
            connections.close_all()

    before = Patient.objects.count()
    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) in ([302, 302], [302, 409])
    assert Patient.objects.count() == before + 1
