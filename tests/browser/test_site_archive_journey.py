"""Study close: the data manager builds a site's archive; the site's investigator downloads it
and finds, in the patient's casebook PDF, a value, its correction and the reason for it."""

import io
import re
import zipfile
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.exports.test_casebook_pdf import pdf_text
from tests.monitoring.helpers import correct, patient_with_baseline, visit_of
from trialsite.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_data_manager_builds_the_site_archive_investigator_downloads_and_reads_it(
        new_page, world, tmp_path):
    patient, records = patient_with_baseline(world)
    sid = patient.subject_id
    vitals = records["vital_signs"]
    old_weight = vitals.weight_kg
    correct("vital_signs", world.users[Role.COORDINATOR], visit_of(patient, "BL"), vitals,
            reason="Source note says 71.2 kg", weight_kg=Decimal("71.2"))

    # The data manager builds the archive of site AONE.
    manager = new_page()
    log_in(manager, "data_manager-a")
    manager.click("nav a:has-text('Site archives')")
    manager.select_option("#archive-site", "AONE")
    manager.click("#archive-start")
    expect(manager.locator(".messages")).to_contain_text("AONE")
    row = manager.locator("#archive-list tbody tr").first
    expect(row.locator(".archive-status")).to_have_text("Ready", timeout=60000)
    screenshot(manager, "site-archive-built")

    # The site's investigator downloads it.
    investigator = new_page()
    log_in(investigator, "investigator-a1")
    investigator.click("nav a:has-text('Site archives')")
    with investigator.expect_download() as info:
        investigator.click("#archive-list a.archive-download")
    content = open(info.value.path(), "rb").read()
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert "MANIFEST.txt" in archive.namelist()

    # The casebook PDF: the value, its correction and the reason.
    text = re.sub(r"\s+", " ", pdf_text(archive.read(f"casebooks/casebook-{sid}.pdf"),
                                        tmp_path))
    assert f"Weight (kg): {old_weight} → 71.2" in text
    assert "Source note says 71.2 kg" in text
    assert f"Subject {sid}" in text
