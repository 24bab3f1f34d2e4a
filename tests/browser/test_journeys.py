"""Role journeys through the real pages in headless Chromium."""

import pytest
from playwright.sync_api import expect

from enrollment.models import Patient
from tests.browser.conftest import log_in, screenshot
from tests.factories import UserFactory, grant
from trialsite.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_registers_corrects_and_reads_the_trail(new_page, world):
    page = new_page()
    log_in(page, "coordinator-a1")
    expect(page.locator("#section-site_patients")).to_contain_text("AONE-001")
    screenshot(page, "coordinator-home")

    page.click("text=Register a patient")
    page.select_option("#id_site", label=str(world.site_a1))
    page.check("input[name=sex][value=F]")
    page.fill("#id_birth_date", "1961-09-30")
    page.fill("#id_consent_date", "2026-02-11")
    page.select_option("#id_consent_version", "1.0")
    page.click("button:has-text('Register')")
    expect(page.locator("h1")).to_contain_text("AONE-002")
    expect(page.locator(".status.big")).to_have_text("Screening")

    page.click("text=Correct registration data")
    page.select_option("#id_consent_version", "1.1")
    page.click("button:has-text('Save changes')")
    expect(page.locator("#id_reason + small + p.error, .has-error .error")).to_contain_text(
        "required")
    page.fill("#id_reason", "Signed the amended consent form")
    page.click("button:has-text('Save changes')")
    trail = page.locator("table.history tbody tr").first
    expect(trail).to_contain_text("Signed the amended consent form")
    expect(trail).to_contain_text("Consent form version")
    expect(trail).to_contain_text("Asia/Amman")
    screenshot(page, "casebook-history")
    assert Patient.objects.get(subject_id="AONE-002").consent_version == "1.1"


def test_second_coordinator_gets_a_conflict_and_reapplies(new_page, world):
    grant(UserFactory(username="second-a1", first_name="Sami", last_name="Aziz"),
          Role.COORDINATOR, site=world.site_a1)
    first, second = new_page(), new_page()
    log_in(first, "coordinator-a1")
    log_in(second, "second-a1")
    edit = f"/patients/{world.patient_a1.subject_id}/edit/"
    first.goto(edit)
    second.goto(edit)

    first.fill("#id_birth_date", "1970-05-18")
    first.fill("#id_reason", "Checked against the ID card")
    first.click("button:has-text('Save changes')")
    expect(first.locator(".messages")).to_contain_text("saved")

    second.select_option("#id_consent_version", "1.1")
    second.fill("#id_reason", "Amended consent")
    second.click("button:has-text('Save changes')")
    conflict = second.locator(".conflict")
    expect(conflict).to_contain_text("Test Person")
    expect(conflict).to_contain_text("1970-05-17")
    expect(conflict).to_contain_text("1970-05-18")
    screenshot(second, "edit-conflict")
    # The second user's value is still in the form; they align the birth date and save again.
    expect(second.locator("#id_consent_version")).to_have_value("1.1")
    second.fill("#id_birth_date", "1970-05-18")
    second.click("button:has-text('Save changes')")
    expect(second.locator(".messages")).to_contain_text("saved")
    patient = Patient.objects.get(pk=world.patient_a1.pk)
    assert (str(patient.birth_date), patient.consent_version, patient.version) == (
        "1970-05-18", "1.1", 3)


def test_each_role_lands_on_its_home_and_logs_out(new_page, world):
    expected = {
        "coordinator-a1": "My sites",
        "monitor-a1": "Sites I monitor",
        "sponsor-a": "Study overview",
        "data_manager-a": "Study overview",
        "central_lab-a": "Central laboratory",
    }
    for username, title in expected.items():
        page = new_page()
        log_in(page, username)
        expect(page.locator("main")).to_contain_text(title)
        if username == "sponsor-a":
            screenshot(page, "sponsor-home")
        page.click("button:has-text('Log out')")
        expect(page).to_have_url(page.url.split("/login")[0] + "/login/")


def test_pages_fit_a_tablet(new_page, world):
    page = new_page()
    page.set_viewport_size({"width": 768, "height": 1024})
    log_in(page, "coordinator-a1")
    page.goto(f"/patients/{world.patient_a1.subject_id}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 768
    screenshot(page, "casebook-tablet")
