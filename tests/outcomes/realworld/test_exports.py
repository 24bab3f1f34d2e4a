"""The real-world datasets match the database, round-trip the import's column names, and keep
to what each role may see."""

import csv
import hashlib
import io

from django.db import connection
from rest_framework.test import APIClient

from outcomes.realworld import services as rwd_services
from tests.factories import UserFactory, api_key, grant
from tests.outcomes.realworld.test_real_world import first_line, rwd  # noqa: F401
from trialsite.exports.registry import Filters, dataset_queryset, get_dataset
from trialsite.models import Role


def _get(user, name):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user)}")
    name, _, query = name.partition("?")
    response = client.get(f"/api/v1/exports/{name}.csv", dict(
        [query.split("=", 1)] if query else []))
    assert response.status_code == 200, response
    return b"".join(response.streaming_content).decode()


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_lines_comorbidities_items_and_survival_are_exported(rwd):  # noqa: F811
    patient, coordinator = rwd
    line = first_line(patient, coordinator)
    rwd_services.line_record(actor=coordinator, patient=patient, number=2,
                             drugs=["FULVESTRANT", "EVEROLIMUS"], start_date=line.stop_date)
    rwd_services.comorbidity_record(actor=coordinator, patient=patient, code="OTHER",
                                    details="Gout")
    rwd_services.item_record(actor=coordinator, patient=patient, kind="HE_SLIDE",
                             collected_on=patient.enrolment.day1,
                             storage_reference="scanner/BONE-001.svs", consent_for_use=True)
    sponsor = grant(UserFactory(), Role.SPONSOR, study=patient.site.study)

    text = _get(sponsor, "treatment_lines")
    rows = _rows(text)
    assert [(r["subject_id"], r["line_number"], r["drugs"], r["stop_reason"]) for r in rows] == [
        (patient.subject_id, "1", "PALBOCICLIB+LETROZOLE", "progression"),
        (patient.subject_id, "2", "FULVESTRANT+EVEROLIMUS", "")]
    assert rows[0]["start_date"] == patient.enrolment.day1.isoformat()
    assert rows[0]["record_id"] == str(line.pk) and rows[0]["voided"] == "0"
    dataset = get_dataset("treatment_lines")
    rows_read = list(dataset_queryset(dataset, sponsor, Filters()))
    assert len(rows_read) == len(rows)
    if connection.vendor == "sqlite":
        # The streamed file is byte for byte the dataset's query written by the csv module
        # (on PostgreSQL, COPY writes it: the values are compared above).
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(dataset.names)
        writer.writerows(rows_read)
        assert hashlib.sha256(text.encode()).hexdigest() == hashlib.sha256(
            out.getvalue().encode()).hexdigest()

    [comorbidity] = _rows(_get(sponsor, "comorbidities"))
    assert (comorbidity["comorbidity"], comorbidity["details"]) == ("OTHER", "Gout")
    [item] = _rows(_get(sponsor, "collected_items"))
    assert (item["item"], item["consent_for_use"], item["storage_reference"]) == (
        "HE_SLIDE", "1", "scanner/BONE-001.svs")
    [survival] = _rows(_get(sponsor, "survival"))
    assert (survival["subject_id"], survival["cdk46i"], survival["pfs_line1_days"],
            survival["pfs_line1_event"], survival["os_event"]) == (
        patient.subject_id, patient.enrolment.cdk46i, "200", "1", "0")


def test_a_voided_line_is_reported_to_incremental_pulls_and_other_studies_see_nothing(
        rwd, world):  # noqa: F811
    from django.utils import timezone

    patient, coordinator = rwd
    line = first_line(patient, coordinator)
    since = timezone.now().isoformat()
    rwd_services.line_void(actor=coordinator, line=line, reason="Wrong patient")
    sponsor = grant(UserFactory(), Role.SPONSOR, study=patient.site.study)
    assert _rows(_get(sponsor, "treatment_lines")) == []  # a full pull has current rows
    [row] = _rows(_get(sponsor, f"treatment_lines?updated_since={since}"))
    assert (row["record_id"], row["voided"]) == (str(line.pk), "1")
    other = world.users[Role.SPONSOR]  # sponsor of the other study
    assert _rows(_get(other, "treatment_lines")) == []
    assert all(r["study"] != patient.site.study.code for r in _rows(_get(other, "survival")))
