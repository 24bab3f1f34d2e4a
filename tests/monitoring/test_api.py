"""Data queries over the REST API: raised on a record named as the exports name it, answered by
the site, closed and re-opened by the monitor, with the same rules as the pages."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests.factories import api_key
from tests.monitoring.helpers import correct, patient_with_baseline, visit_of
from trialsite.models import Role
from trialsite.monitoring.models import Query


@pytest.fixture
def api_for(world):
    def make(role):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(world.users[role])}")
        return client

    return make


@pytest.fixture
def baseline(world):
    return patient_with_baseline(world)


def test_a_monitor_raises_a_query_on_an_exported_variable_and_the_site_answers(
        world, baseline, api_for):
    patient, records = baseline
    vitals = records["vital_signs"]
    monitor, site = api_for(Role.MONITOR), api_for(Role.COORDINATOR)
    raised = monitor.post("/api/v1/queries/", {
        "dataset": "vital_signs", "record_id": vitals.pk, "variable": "weight_kg",
        "text": "68.5 kg here, 61 kg in the source notes."}, format="json")
    assert raised.status_code == 201, raised.json()
    body = raised.json()
    assert (body["dataset"], body["record_id"], body["variable"], body["status"]) == (
        "vital_signs", vitals.pk, "weight_kg", "open")
    assert body["subject_id"] == patient.subject_id
    assert body["opened_by"] == world.users[Role.MONITOR].username
    query = Query.objects.get(pk=body["id"])
    assert query.field_name == "weight_kg" and query.history.first().history_user == (
        world.users[Role.MONITOR])

    # The site corrects the weight on the form, then answers: the answer links the correction.
    correct("vital_signs", world.users[Role.COORDINATOR], visit_of(patient, "BL"), vitals,
            weight_kg=Decimal("61"))
    answered = site.post(f"/api/v1/queries/{query.pk}/answer/", {}, format="json")
    assert answered.status_code == 200, answered.json()
    assert answered.json()["status"] == "answered"
    assert answered.json()["messages"][-1]["correction_version"] == 2

    # Only reviewers close; a stale version is a 409 with what changed.
    assert site.post(f"/api/v1/queries/{query.pk}/close/", {}, format="json").status_code == 403
    stale = monitor.post(f"/api/v1/queries/{query.pk}/close/", {"version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    closed = monitor.post(f"/api/v1/queries/{query.pk}/close/", {"text": "Thanks."},
                          format="json")
    assert closed.json()["status"] == "closed"
    reopened = monitor.post(f"/api/v1/queries/{query.pk}/reopen/",
                            {"text": "The height is missing too."}, format="json")
    assert reopened.json()["status"] == "open"
    assert [m["kind"] for m in reopened.json()["messages"]] == [
        "opened", "answered", "closed", "reopened"]


def test_the_list_filters_and_shows_only_the_callers_sites(world, baseline, api_for):
    patient, records = baseline
    monitor = api_for(Role.MONITOR)
    for form in ("vital_signs", "performance_status"):
        monitor.post("/api/v1/queries/", {"dataset": form, "record_id": records[form].pk,
                                          "text": "Please check."}, format="json")
    listed = monitor.get("/api/v1/queries/", {"status": "open", "subject_id": patient.subject_id})
    assert [q["dataset"] for q in listed.json()["results"]] == [
        "vital_signs", "performance_status"]
    assert monitor.get("/api/v1/queries/", {"status": "closed"}).json()["results"] == []
    # Another site's coordinator sees none of them, and cannot read one by its id.
    from tests.factories import site_coordinator

    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {api_key(site_coordinator(world.site_a2))}")
    assert other.get("/api/v1/queries/").json()["results"] == []
    some = Query.objects.first()
    assert other.get(f"/api/v1/queries/{some.pk}/").status_code == 404
    assert other.post(f"/api/v1/queries/{some.pk}/answer/", {"text": "x"},
                      format="json").status_code == 404


def test_bad_requests_are_refused_at_their_field_and_nothing_is_raised(world, baseline,
                                                                       api_for):
    _, records = baseline
    monitor = api_for(Role.MONITOR)
    vitals = records["vital_signs"].pk
    cases = [
        ({"dataset": "heights", "record_id": vitals, "text": "x"}, 400, "dataset"),
        ({"dataset": "endpoints", "record_id": vitals, "text": "x"}, 400, "dataset"),
        ({"dataset": "vital_signs", "record_id": vitals, "variable": "shoe_size",
          "text": "x"}, 400, "variable"),
        ({"dataset": "vital_signs", "record_id": vitals, "variable": "subject_id",
          "text": "x"}, 400, "variable"),
        ({"dataset": "vital_signs", "record_id": vitals}, 400, "text"),
        ({"dataset": "vital_signs", "record_id": 10**9, "text": "x"}, 404, None),
    ]
    for payload, code, field in cases:
        response = monitor.post("/api/v1/queries/", payload, format="json")
        assert response.status_code == code, (payload, response.json())
        if field:
            assert field in response.json(), (payload, response.json())
    # The site does not raise queries.
    refused = api_for(Role.COORDINATOR).post("/api/v1/queries/", {
        "dataset": "vital_signs", "record_id": vitals, "text": "x"}, format="json")
    assert refused.status_code == 403
    assert not Query.objects.exists()


def test_the_list_costs_the_same_for_1_and_6_queries(world, baseline, api_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, records = baseline
    monitor = api_for(Role.MONITOR)

    def raise_query():
        assert monitor.post("/api/v1/queries/", {
            "dataset": "vital_signs", "record_id": records["vital_signs"].pk,
            "text": "Please check."}, format="json").status_code == 201

    def cost():
        with CaptureQueriesContext(connection) as ctx:
            assert monitor.get("/api/v1/queries/").status_code == 200
        return len(ctx.captured_queries)

    raise_query()
    one = cost()
    for _ in range(5):
        raise_query()
    assert cost() == one
