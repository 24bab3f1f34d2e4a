"""SAS transport v5, SPSS and Stata files: read back with pyreadstat, every value, label and
type agrees with the CSV file of the same data cut (the same package) and the dictionary."""

import csv
import hashlib
import io
import math
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

import pyreadstat
import pytest

from tests.exports.conftest import body
from trialsite.audit import record_update
from trialsite.exports import statfiles
from trialsite.exports.models import DataPackage
from trialsite.exports.registry import all_datasets, get_dataset
from trialsite.exports.statfiles import format_names, xpt_label, xpt_text
from trialsite.exports.tasks import build_data_package
from trialsite.models import Role

READERS = {"xpt": pyreadstat.read_xport, "sav": pyreadstat.read_sav, "dta": pyreadstat.read_dta}


def _read(archive, name, fmt, tmp_path):
    path = tmp_path / name.replace("/", "_")
    path.write_bytes(archive.read(name))
    return READERS[fmt](str(path))


def _missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        hasattr(value, "isnat") and value.isnat()) or str(value) == "NaT"


def _check_value(var, text, got, fmt):
    where = f"{var.name}={text!r} read {got!r} ({fmt})"
    if var.type == "text":
        assert got == (xpt_text(text) if fmt == "xpt" else text), where
    elif text == "":
        assert _missing(got), where
    elif var.type in ("integer", "boolean"):
        assert float(got) == int(text), where
    elif var.type == "decimal":
        assert float(got) == float(Decimal(text)), where
    elif var.type == "date":
        assert got == date.fromisoformat(text), where
    elif var.type == "datetime":
        moment = datetime.fromisoformat(text)
        naive_utc = (moment - moment.utcoffset()).replace(tzinfo=None)
        # SPSS keeps seconds as a double: a microsecond may be rounded away.
        assert abs(got.to_pydatetime() - naive_utc) < timedelta(milliseconds=1), where
    else:  # pragma: no cover - a new type must be handled here
        raise AssertionError(f"unknown type {var.type}")


def _check_types(var, meta, name, fmt):
    kind = meta.readstat_variable_types[name]
    original = meta.original_variable_types[name] or ""
    if var.type == "text":
        assert kind == "string", (var.name, fmt, kind)
        return
    assert kind in ("double", "int32", "int16", "int8", "float"), (var.name, fmt, kind)
    if var.type == "date":
        assert original.upper().startswith(("DATE", "%TD")), (var.name, fmt, original)
    elif var.type == "datetime":
        assert original.upper().startswith(("DATETIME", "%TC")), (var.name, fmt, original)


def _check_dataset(archive, dataset, tmp_path):
    rows = list(csv.reader(io.StringIO(archive.read(f"{dataset.name}.csv").decode())))
    header, rows = rows[0], rows[1:]
    assert tuple(header) == dataset.names
    for fmt in ("xpt", "sav", "dta"):
        frame, meta = _read(archive, f"{fmt}/{dataset.name}.{fmt}", fmt, tmp_path)
        names = format_names(dataset.names, fmt)
        assert list(frame.columns) == [names[n] for n in dataset.names], fmt
        assert len(frame) == len(rows), (dataset.name, fmt)
        for var in dataset.variables:
            name = names[var.name]
            label = meta.column_names_to_labels[name]
            expected_label = {"xpt": xpt_label(var.label), "dta": var.label[:80]}.get(
                fmt, var.label)
            assert label == expected_label, (dataset.name, var.name, fmt)
            _check_types(var, meta, name, fmt)
            value_labels = meta.variable_value_labels.get(name, {})
            if var.codes and fmt == "sav" or (var.codes and var.type == "integer"
                                              and fmt == "dta"):
                assert {str(int(k)) if isinstance(k, float) else str(k): v
                        for k, v in value_labels.items()} == dict(var.codes), (var.name, fmt)
            else:
                assert value_labels == {}, (var.name, fmt)
        column = {var.name: list(frame[names[var.name]]) for var in dataset.variables}
        for index, row in enumerate(rows):
            for var, text in zip(dataset.variables, row, strict=True):
                _check_value(var, text, column[var.name][index], fmt)


def _package(user):
    package = DataPackage.objects.create(requested_by=user)
    build_data_package(package.pk)
    package.refresh_from_db()
    assert package.status == DataPackage.Status.READY, package.error
    from trialsite import files
    from trialsite.exports.packages import package_name

    return package, zipfile.ZipFile(files.open_file(package_name(package)))


def _round_trip(trial, tmp_path):
    # A correction and text beyond SAS v5's 200 bytes, so both are exercised.
    from visits.crf.models import ConcomitantMedication, VitalSigns

    vitals = VitalSigns.objects.get(visit__patient=trial.patient_a1)
    record_update(vitals, actor=trial.users[Role.COORDINATOR], expected_version=vitals.version,
                  reason="Transcription error", changes={"weight_kg": Decimal("61.3")})
    medication = ConcomitantMedication.objects.filter(patient=trial.patient_a1).first()
    record_update(medication, actor=trial.users[Role.COORDINATOR],
                  expected_version=medication.version, reason="Full indication",
                  changes={"indication": "Bone pain — " + "é" * 150})
    package, archive = _package(trial.users[Role.SPONSOR])
    for dataset in all_datasets():
        _check_dataset(archive, dataset, tmp_path)
    # The manifest covers the statistical files.
    readme = archive.read("README.txt").decode()
    for dataset in all_datasets():
        for fmt in ("xpt", "sav", "dta"):
            name = f"{fmt}/{dataset.name}.{fmt}"
            assert f"{hashlib.sha256(archive.read(name)).hexdigest()}  {name}" in readme
    frame, _ = _read(archive, "xpt/vital_signs.xpt", "xpt", tmp_path)
    assert 61.3 in list(frame["WEIGHT_K"])
    return package


def test_statistical_files_read_back_equal_to_the_csv_of_the_same_cut(trial, tmp_path):
    _round_trip(trial, tmp_path)


@pytest.mark.postgres
def test_statistical_files_round_trip_on_postgres_in_one_snapshot(transactional_db, trial,
                                                                   tmp_path):
    # Outside a test transaction, the package reads every file in one REPEATABLE READ snapshot
    # and the CSV files are written by PostgreSQL's COPY.
    from django.db import connection

    assert connection.vendor == "postgresql"
    package = _round_trip(trial, tmp_path)
    assert package.data_cut is not None


def test_names_stay_within_each_formats_limits_and_are_stable():
    for dataset in all_datasets():
        for fmt, limit in (("xpt", 8), ("dta", 32), ("sav", 64)):
            names = format_names(dataset.names, fmt)
            assert len(set(n.lower() for n in names.values())) == len(names)
            assert all(len(n) <= limit for n in names.values()), (dataset.name, fmt)
            # A variable added at the end renames nothing before it.
            longer = format_names((*dataset.names, dataset.names[-1] + "_extra"), fmt)
            assert {k: longer[k] for k in names} == names
    ae = format_names(get_dataset("adverse_events").names, "xpt")
    assert (ae["relation_cdk46i"], ae["relation_endocrine"]) == ("RELATION", "RELATIO2")
    assert format_names(("in", "with", "_n"), "dta") == {"in": "in_", "with": "with_",
                                                        "_n": "_n_"}
    assert format_names(("by", "_x"), "sav") == {"by": "by_", "_x": "v__x"}


def test_the_dictionary_lists_each_variables_name_in_every_format(trial, api_for):
    rows = list(csv.DictReader(io.StringIO(body(
        api_for(Role.SPONSOR).get("/api/v1/exports/dictionary.csv")))))
    ae = {r["variable"]: r for r in rows if r["dataset"] == "adverse_events"}
    assert (ae["relation_endocrine"]["xpt_name"], ae["relation_endocrine"]["sav_name"],
            ae["relation_endocrine"]["dta_name"]) == ("RELATIO2", "relation_endocrine",
                                                      "relation_endocrine")


def test_one_dataset_as_a_file_through_the_api(trial, api_for, tmp_path,
                                               django_capture_on_commit_callbacks):
    api = api_for(Role.SPONSOR)
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post("/api/v1/exports/files/", {"dataset": "vital_signs",
                                                      "format": "sav"}, format="json")
    assert started.status_code == 202, started.content
    status = api.get(f"/api/v1/exports/packages/{started.json()['id']}/").json()
    assert (status["status"], status["dataset"], status["file_format"]) == (
        "ready", "vital_signs", "sav")
    download = api.get(status["download"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/x-spss-sav"
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == status["sha256"]
    path = tmp_path / "vital_signs.sav"
    path.write_bytes(content)
    frame, meta = pyreadstat.read_sav(str(path))
    csv_rows = list(csv.DictReader(io.StringIO(body(api.get("/api/v1/exports/vital_signs.csv")))))
    assert sorted(frame["weight_kg"]) == sorted(float(r["weight_kg"]) for r in csv_rows)
    assert meta.column_names_to_labels["weight_kg"] == get_dataset("vital_signs").variable(
        "weight_kg").label
    assert [f["id"] for f in api.get("/api/v1/exports/files/").json()] == [started.json()["id"]]


def test_a_bad_dataset_or_format_is_refused_at_its_field(trial, api_for):
    api = api_for(Role.SPONSOR)
    response = api.post("/api/v1/exports/files/", {"dataset": "nope", "format": "xpt"},
                        format="json")
    assert response.status_code == 400 and "dataset" in response.json()
    response = api.post("/api/v1/exports/files/", {"dataset": "labs", "format": "xls"},
                        format="json")
    assert response.status_code == 400 and "format" in response.json()


def test_another_users_statistical_file_answers_404(trial, api_for):
    file_id = api_for(Role.SPONSOR).post("/api/v1/exports/files/", {
        "dataset": "labs", "format": "dta"}, format="json").json()["id"]
    other = api_for(Role.DATA_MANAGER)
    assert other.get(f"/api/v1/exports/packages/{file_id}/download/").status_code == 404


def test_the_exports_page_builds_a_file_for_a_dataset(trial, client,
                                                      django_capture_on_commit_callbacks):
    client.force_login(trial.users[Role.SPONSOR])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/exports/files/", {"dataset": "labs", "format": "xpt"})
    assert response.status_code == 302
    page = client.get("/exports/").content.decode()
    assert "labs.xpt" in page and "SAS transport v5" in page
    built = DataPackage.objects.get(dataset="labs")
    assert built.status == DataPackage.Status.READY
    assert statfiles.FORMATS[built.file_format].label == "SAS transport v5"
