"""Filters: site, study, incremental pulls (updated_since, voids included), audit date range."""

import csv
import io
from datetime import timedelta

from django.utils import timezone

from tests.exports.conftest import body
from trialsite.models import Role
from visits.crf import services as crf_services
from visits.crf.models import AdverseEvent, VitalSigns


def rows(api, url):
    response = api.get(url)
    assert response.status_code == 200, response.content
    return list(csv.DictReader(io.StringIO(body(response))))


def test_site_filter_keeps_only_that_site(trial, api_for):
    api = api_for(Role.SPONSOR)
    assert {r["site"] for r in rows(api, "/api/v1/exports/vital_signs.csv")} == {"AONE", "ATWO"}
    assert {r["site"] for r in rows(api, "/api/v1/exports/vital_signs.csv?site=ATWO")} == {
        "ATWO"}
    assert rows(api, "/api/v1/exports/vital_signs.csv?site=BONE") == []


def test_updated_since_returns_changes_and_voids_flagged(trial, api_for):
    api = api_for(Role.SPONSOR)
    coordinator = trial.users[Role.COORDINATOR]
    since = timezone.now()
    assert rows(api, f"/api/v1/exports/adverse_events.csv?updated_since={since.isoformat()}"
                .replace("+", "%2B")) == []
    event = AdverseEvent.objects.get(patient=trial.patient_a1)
    crf_services.adverse_event_void(actor=coordinator, adverse_event=event,
                                    reason="Entered for the wrong patient")
    vitals = VitalSigns.objects.get(visit__patient=trial.patient_a1)
    crf_services.vital_signs_save(
        actor=coordinator, visit=vitals.visit, reason="Transcription error",
        expected_version=vitals.version,
        values={**{f: getattr(vitals, f) for f in ("weight_kg", "height_cm", "systolic_mmhg",
                                                    "diastolic_mmhg", "heart_rate_per_min",
                                                    "temperature_c")}, "weight_kg": 70})
    query = f"?updated_since={since.isoformat()}".replace("+", "%2B")
    changed_events = rows(api, "/api/v1/exports/adverse_events.csv" + query)
    assert [(r["record_id"], r["voided"]) for r in changed_events] == [(str(event.pk), "1")]
    changed_vitals = rows(api, "/api/v1/exports/vital_signs.csv" + query)
    assert [(r["subject_id"], r["weight_kg"], r["version"]) for r in changed_vitals] == [
        ("AONE-001", "70.0", "2")]
    # A full pull leaves the voided event out.
    assert str(event.pk) not in {r["record_id"] for r in rows(
        api, "/api/v1/exports/adverse_events.csv")}


def test_derived_dataset_refuses_updated_since(trial, api_for):
    response = api_for(Role.SPONSOR).get(
        "/api/v1/exports/endpoints.csv?updated_since=2026-01-01T00:00:00Z")
    assert response.status_code == 400
    assert "updated_since" in response.json()


def test_malformed_filters_are_refused_on_their_field(trial, api_for):
    api = api_for(Role.SPONSOR)
    for query, field in (("updated_since=yesterday", "updated_since"),
                         ("site=a%00b", "site"),
                         ("date_from=2026-02-01&date_to=2026-01-01", "date_to")):
        response = api.get(f"/api/v1/exports/audit_trail.csv?{query}")
        assert response.status_code == 400, query
        assert field in response.json(), query


def test_audit_trail_date_range(trial, api_for):
    api = api_for(Role.SPONSOR)
    today = timezone.now().date()
    everything = rows(api, "/api/v1/exports/audit_trail.csv")
    assert everything
    assert rows(api, f"/api/v1/exports/audit_trail.csv?date_from={today}&date_to={today}") == (
        everything)
    tomorrow = today + timedelta(days=1)
    assert rows(api, f"/api/v1/exports/audit_trail.csv?date_from={tomorrow}") == []
    assert rows(api, f"/api/v1/exports/audit_trail.csv?date_to={today - timedelta(days=1)}") == []
