"""Every dataset's rows and content match the database, in a stable order, pseudonymised."""

import csv
import hashlib
import io
from datetime import datetime
from decimal import Decimal
from functools import reduce

import pytest
from django.db import connection

from enrollment.domain.lifecycle import age_in_years
from enrollment.models import Patient
from tests.exports.conftest import body
from trialsite.access import sites_visible_to
from trialsite.exports.registry import Filters, all_datasets, dataset_queryset, get_dataset
from trialsite.models import Role

DATASETS = [d.name for d in all_datasets()]
REQUIRED = {"subjects", "screening", "visits", "vital_signs", "labs", "drug_exposure",
            "adverse_events", "concomitant_medications", "tumour_lesions",
            "tumour_measurements", "responses", "endpoints", "samples", "aliquots", "shipments",
            "queries", "audit_trail"}


#: Datasets the ``trial`` fixture has no rows for (their columns are checked elsewhere: the
#: real-world ones, collected only by PALMARES-2, in tests/outcomes/realworld/test_exports.py).
# The spectra dataset is checked against its rows in tests/biosamples/spectra/test_views.py.
NOT_IN_FIXTURE = {"survival_status", "treatment_lines", "comorbidities", "collected_items",
                  "spectra"}


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_every_dataset_the_issue_names_is_offered(trial, api_for):
    listed = api_for(Role.SPONSOR).get("/api/v1/exports/").json()
    assert REQUIRED <= {d["name"] for d in listed}
    subjects = next(d for d in listed if d["name"] == "subjects")
    assert subjects["csv"].endswith("/api/v1/exports/subjects.csv")
    assert {"name": "sex", "label": "Sex", "type": "text", "unit": "",
            "codes": {"F": "Female", "M": "Male"}} in subjects["variables"]


def _traverse(instance, path):
    return reduce(lambda obj, part: None if obj is None else getattr(obj, part, None),
                  path.split("__"), instance)


def _text(value):
    return "" if value is None else str(value)


def _expected_counts(dataset, user):
    visible = set(sites_visible_to(user).values_list("code", flat=True))
    total = 0
    for source in dataset.sources:
        for instance in source.queryset().filter(voided_at__isnull=True):
            if _traverse(instance, source.site_path.replace("__", "__") + "__code") in visible:
                total += 1
    return total


@pytest.mark.parametrize("name", [n for n in DATASETS if get_dataset(n).sources
                                  and n != "audit_trail"])
def test_model_dataset_rows_are_the_database_rows(trial, api_for, name):
    """Count, every plain column against the model instance, and the checksum of the file
    against the same query read straight from the database cursor."""
    dataset = get_dataset(name)
    user = trial.users[Role.SPONSOR]
    response = api_for(Role.SPONSOR).get(f"/api/v1/exports/{name}.csv")
    assert response.status_code == 200
    assert response["X-Data-Cut"]
    text = body(response)
    exported = rows_of(text)
    assert len(exported) == _expected_counts(dataset, user)
    assert exported or name in NOT_IN_FIXTURE

    # Each plain column equals the attribute of the record it came from.
    by_key = {}
    for source in dataset.sources:
        model = source.queryset().model
        instances = {i.pk: i for i in source.queryset()}
        fixed = {v.name: v.source.value for v in source.variables
                 if hasattr(v.source, "value")}
        by_key[tuple(sorted(fixed.items()))] = (source, instances)
        assert instances or name in NOT_IN_FIXTURE, model
    for row in exported:
        source, instances = next(pair for key, pair in by_key.items()
                                 if all(row[n] == _text(v) for n, v in key))
        instance = instances[int(row["record_id"])]
        for var in source.variables:
            path = var.source if isinstance(var.source, str) else (
                var.name if var.source is None else None)
            if path is None:
                continue
            expected = _traverse(instance, path)
            assert same(var, row[var.name], expected), (name, var.name, row[var.name])
        assert row["voided"] == "0"

    # The file holds the query's rows read in one go, in the same order: byte for byte on
    # SQLite (the csv module writes both); on PostgreSQL (the file is written by COPY) value
    # by value, then the checksum of the normalised rows.
    rows = list(dataset_queryset(dataset, user, Filters()))
    if connection.vendor == "sqlite":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(dataset.names)
        writer.writerows(rows)
        assert hashlib.sha256(text.encode()).hexdigest() == hashlib.sha256(
            out.getvalue().encode()).hexdigest()
    else:
        assert len(rows) == len(exported)
        for got, want in zip(exported, rows, strict=True):
            for var, value in zip(dataset.variables, want, strict=True):
                assert same(var, got[var.name], value), (name, var.name)
        assert checksum(dataset, exported) == checksum(
            dataset, [dict(zip(dataset.names, map(_text, r), strict=True)) for r in rows])


def normal(var, text):
    """A CSV field as a comparable value: numbers as numbers, times as instants."""
    if text in ("", None):
        return None
    if var.type == "decimal":
        return Decimal(text)
    if var.type == "datetime":
        return datetime.fromisoformat(str(text))
    return str(text)


def same(var, text, value):
    if var.type == "boolean" and value is not None:
        value = int(value)
    return normal(var, text) == normal(var, None if value is None else str(value))


def checksum(dataset, rows):
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr([normal(v, row[v.name]) for v in dataset.variables]).encode())
    return digest.hexdigest()


def test_rows_come_in_a_stable_documented_order(trial, api_for):
    api = api_for(Role.SPONSOR)
    first = body(api.get("/api/v1/exports/labs.csv"))
    assert first == body(api.get("/api/v1/exports/labs.csv"))
    rows = rows_of(first)
    keys = [(r["site"], r["subject_id"], r["panel"], int(r["record_id"]), r["analyte"])
            for r in rows]
    assert keys == sorted(keys)
    assert len(rows) == 2 * 11  # two patients, eleven analytes entered each


def test_subjects_carry_age_at_enrolment_never_the_birth_date(trial, api_for):
    api = api_for(Role.SPONSOR)
    rows = rows_of(body(api.get("/api/v1/exports/subjects.csv")))
    patient = Patient.objects.get(subject_id=rows[0]["subject_id"])
    assert int(rows[0]["age_at_enrolment"]) == age_in_years(patient.birth_date,
                                                              patient.consent_date)
    birth = patient.birth_date.isoformat()
    for name in DATASETS:
        for fmt in ("csv", "ndjson"):
            text = body(api.get(f"/api/v1/exports/{name}.{fmt}"))
            assert "birth_date" not in text and birth not in text, name
    odm = body(api.get("/api/v1/exports/odm.xml"))
    assert birth not in odm and "BIRTH_DATE" not in odm


def test_screening_uses_the_protocol_variable_names(trial, api_for):
    from eligibility.domain.engine import Verdict
    from eligibility.models import Screening

    rows = rows_of(body(api_for(Role.SPONSOR).get("/api/v1/exports/screening.csv")))
    screening = Screening.objects.get(patient__subject_id=rows[0]["subject_id"])
    assert "candidate_id" not in rows[0]
    for name, value in screening.values.items():
        if name not in {"birth_date", "candidate_id"}:
            assert rows[0][name] == str(value), name
    assert rows[0]["verdict"] == Verdict.ELIGIBLE


def test_ndjson_has_the_same_rows_as_csv(trial, api_for):
    import json

    api = api_for(Role.SPONSOR)
    for name in ("visits", "tumour_measurements", "endpoints"):
        csv_rows = rows_of(body(api.get(f"/api/v1/exports/{name}.csv")))
        lines = [json.loads(line) for line in body(
            api.get(f"/api/v1/exports/{name}.ndjson")).splitlines()]
        dataset = get_dataset(name)
        assert len(lines) == len(csv_rows)
        for line, row in zip(lines, csv_rows, strict=True):
            for var in dataset.variables:
                assert same(var, row[var.name], line[var.name]), (name, var.name)


def test_endpoints_are_those_of_the_outcomes_report(trial, api_for):
    from outcomes.reports import endpoint_row, study_endpoints

    user = trial.users[Role.SPONSOR]
    rows = rows_of(body(api_for(Role.SPONSOR).get("/api/v1/exports/endpoints.csv")))
    expected = [endpoint_row(r) for r in study_endpoints(user)]
    assert [(r["subject_id"], r["bor"], r["pfs_days"]) for r in rows] == [
        (e["subject_id"], e["bor"], str(e["pfs_days"])) for e in expected]


def test_audit_trail_lists_every_history_row_of_the_exported_records(trial, api_for):
    from visits.crf.models import VitalSigns

    rows = rows_of(body(api_for(Role.SPONSOR).get("/api/v1/exports/audit_trail.csv")))
    vitals = [r for r in rows if r["table"] == "visits.vitalsigns"]
    assert len(vitals) == VitalSigns.history.count() == 2
    assert {r["action"] for r in vitals} == {"created"}
    assert [r["changed_at"] for r in rows] == sorted(r["changed_at"] for r in rows)


def test_unknown_dataset_answers_404(trial, api_for):
    assert api_for(Role.SPONSOR).get("/api/v1/exports/no_such.csv").status_code == 404


def test_dictionary_lists_every_variable_of_every_dataset(trial, api_for):
    response = api_for(Role.SPONSOR).get("/api/v1/exports/dictionary.csv")
    rows = rows_of(body(response))
    listed = {(r["dataset"], r["variable"]) for r in rows}
    assert listed == {(d.name, v.name) for d in all_datasets() for v in d.variables}
    weight = next(r for r in rows if (r["dataset"], r["variable"]) == ("vital_signs",
                                                                       "weight_kg"))
    assert (weight["type"], weight["unit"]) == ("decimal", "kg")
    status = next(r for r in rows if (r["dataset"], r["variable"]) == ("visits", "status"))
    assert "missed=Missed" in status["codes"]
    assert all(r["label"] for r in rows)
