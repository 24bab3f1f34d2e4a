"""The casebook PDF: every form with its values, the correction and its reason in the audit
trail, queries with their threads, SDV, signatures, computed responses; headers and page
numbers; read back with pdftotext (poppler-utils)."""

import hashlib
import re
import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.conftest import REQUIRE_SERVICES
from trialsite.archives.casebook_pdf import casebook_pdf
from trialsite.audit import record_update
from trialsite.models import Role
from trialsite.monitoring import services as monitoring
from trialsite.monitoring.models import Query


def pdf_text(content, tmp_path, name="casebook.pdf"):
    """The PDF's text as pdftotext reads it, in the order it is drawn (``-raw``): a table
    cell's lines follow each other, so a wrapped reason reads whole once spaces are joined."""
    if shutil.which("pdftotext") is None:
        message = "pdftotext is not installed (apt-get install poppler-utils)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    path = tmp_path / name
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def correct_weight_and_sign(trial):
    """A monitor's query, the coordinator's correction with a reason, the answer, SDV and the
    investigator's signature."""
    from visits.crf.models import VitalSigns

    coordinator = trial.users[Role.COORDINATOR]
    vitals = VitalSigns.objects.get(visit__patient=trial.patient_a1)
    query = Query.objects.get(record_id=vitals.pk, opened_by=trial.users[Role.MONITOR])
    old_weight = vitals.weight_kg
    vitals = record_update(vitals, actor=coordinator, expected_version=vitals.version,
                           reason="Scale read in pounds, converted", changes={
                               "weight_kg": Decimal("58.4")})
    monitoring.query_answer(actor=coordinator, query=query, text="Weight re-measured.")
    monitoring.sdv_mark(actor=trial.users[Role.MONITOR], records=[vitals])
    monitoring.casebook_sign(actor=trial.users[Role.INVESTIGATOR], patient=trial.patient_a1,
                             password="correct-horse-battery")
    return old_weight


def test_the_casebook_pdf_shows_a_value_its_correction_and_the_reason(trial, tmp_path):
    old_weight = correct_weight_and_sign(trial)
    patient = trial.patient_a1
    patient.refresh_from_db()
    cut = datetime(2026, 6, 2, 9, 30, tzinfo=UTC)
    built = casebook_pdf(patient, user=trial.users[Role.DATA_MANAGER], data_cut=cut)
    assert built.sha256 == hashlib.sha256(built.content).hexdigest()
    assert built.content.startswith(b"%PDF-")
    text = pdf_text(built.content, tmp_path)
    flat = re.sub(r"\s+", " ", text)
    # Every page: study, site, subject, data cut, and "Page n of N".
    pages = text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")
    assert len(pages) == built.pages > 1
    for number, page in enumerate(pages, 1):
        assert f"Subject {patient.subject_id}" in page
        assert "Study SA" in page or f"Study {patient.site.study.code}" in page
        assert f"Site {patient.site.code}" in page
        assert "Data cut 2026-06-02 09:30:00 UTC" in page
        assert f"Page {number} of {built.pages}" in page
    # The value, its correction and the reason, with the units in the label.
    assert "Weight (kg)" in flat
    assert f"Weight (kg): {old_weight} → 58.4" in flat
    assert "Scale read in pounds, converted" in flat
    # Who and when, in UTC and in the site's time.
    assert "UTC" in flat and patient.site.time_zone in flat
    assert trial.users[Role.COORDINATOR].username in flat
    # The query and its thread, the SDV mark, the signature and what it covers.
    assert "Please check the weight." in flat and "Weight re-measured." in flat
    assert "Source data verified at version" in flat
    assert "I have reviewed this casebook" in flat
    assert "covers the data as they are" in flat
    # The screening's protocol variables, named and decoded as the dictionary does.
    assert "Screening values: Menopausal status post-menopausal" in flat
    # Every visit and form; samples with their custody; the computed tumour response.
    assert "Visit BL" in flat and "Visit M3" in flat
    assert "Haematology" in flat and "Sample —" in flat and "Aliquot —" in flat
    assert "Overall response computed by RECIST 1.1" in flat or "Computed" in flat
    assert "PR" in flat  # 50 → 35 mm is −30 %: a partial response


def test_a_later_change_shows_the_signature_no_longer_covers_the_data(trial, tmp_path):
    from visits.crf.models import VitalSigns

    correct_weight_and_sign(trial)
    vitals = VitalSigns.objects.get(visit__patient=trial.patient_a1)
    record_update(vitals, actor=trial.users[Role.COORDINATOR], expected_version=vitals.version,
                  reason="Typo", changes={"weight_kg": Decimal("58.5")})
    built = casebook_pdf(trial.patient_a1, user=trial.users[Role.DATA_MANAGER],
                         data_cut=datetime(2026, 6, 3, tzinfo=UTC))
    flat = re.sub(r"\s+", " ", pdf_text(built.content, tmp_path))
    assert "no longer covers the data" in flat
    assert "changed since" in flat


def test_the_casebook_page_link_downloads_the_pdf_with_its_checksum(trial, client):
    client.force_login(trial.users[Role.INVESTIGATOR])
    response = client.get(f"/exports/casebooks/{trial.patient_a1.subject_id}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Checksum-SHA256"] == hashlib.sha256(response.content).hexdigest()


def test_another_sites_casebook_pdf_answers_404(trial, client):
    from tests.factories import site_coordinator

    client.force_login(site_coordinator(trial.site_a2))
    assert client.get(f"/exports/casebooks/{trial.patient_a1.subject_id}.pdf"
                      ).status_code == 404
    client.force_login(trial.users[Role.SPONSOR])
    assert client.get(f"/exports/casebooks/{trial.patient_a1.subject_id}.pdf"
                      ).status_code == 404


def test_the_casebook_page_links_to_its_pdf(trial, client):
    client.force_login(trial.users[Role.MONITOR])
    page = client.get(f"/patients/{trial.patient_a1.subject_id}/").content.decode()
    assert f"/exports/casebooks/{trial.patient_a1.subject_id}.pdf" in page
