"""PALMARES-2 in the browser: screen, sign, enrol on ribociclib, record a follow-up contact,
two lines of therapy, and find the patient in the survival figures by drug."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from eligibility.domain.screening import example_values
from eligibility.forms import form_variables
from outcomes.models import TreatmentLine
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_eligibility_journey import fill_screening
from tests.factories import site_coordinator, site_investigator
from visits.crf.models import SurvivalStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_real_world_patient_from_screening_to_survival(new_page, world):
    patient = world.patient_b1
    site = patient.site
    protocol = site.study.protocol
    coordinator_user, investigator_user = site_coordinator(site), site_investigator(site)
    values = example_values(protocol, patient.consent_date)
    sid = patient.subject_id

    coordinator = new_page()
    log_in(coordinator, coordinator_user.username)
    coordinator.goto(f"/patients/{sid}/")
    coordinator.click("text=Start the screening")
    fill_screening(coordinator, values, [v.name for v in form_variables(protocol)])
    expect(coordinator.locator("#criteria #verdict")).not_to_contain_text("NOT_ELIGIBLE")
    coordinator.click("button:has-text('Save screening')")
    expect(coordinator.locator(".messages")).to_contain_text("Screening saved: Eligible")

    investigator = new_page()
    log_in(investigator, investigator_user.username)
    investigator.goto(f"/patients/{sid}/screening/")
    investigator.click("text=Confirm eligibility (sign)")
    investigator.fill("#id_password", "correct-horse-battery")
    investigator.click("button:has-text('Sign and confirm')")
    expect(investigator.locator("#panel-eligibility")).to_contain_text("Eligibility confirmed by")

    coordinator.goto(f"/patients/{sid}/")
    coordinator.click("#panel-eligibility >> text=Enrol patient")
    coordinator.select_option("#id_cdk46i", "RIBOCICLIB")
    coordinator.select_option("#id_cdk46i_start_dose_mg", "600")
    coordinator.select_option("#id_endocrine", "LETROZOLE")
    coordinator.click("button:has-text('Enrol')")
    expect(coordinator.locator(".status.big")).to_have_text("Enrolled")
    patient.refresh_from_db()
    day1 = patient.enrolment.day1

    # Followed: the survival contact of the first follow-up after consent (FU3, day 273).
    contact = day1 + timedelta(days=273)
    assert contact > patient.consent_date
    coordinator.goto(f"/patients/{sid}/visits/FU3/survival_status/")
    coordinator.fill("#id_last_contact_date", contact.isoformat())
    coordinator.check("input[name=vital_status][value=alive]")
    coordinator.click("button.primary")
    expect(coordinator.locator(".messages")).to_contain_text("saved")

    # Later lines: line 1 stops at progression, line 2 follows the same day.
    stop = day1 + timedelta(days=80)
    coordinator.goto(f"/patients/{sid}/")
    coordinator.click("#panel-real_world >> text=Enter or correct real-world data")
    coordinator.click("summary:has-text('Add line 1')")
    coordinator.check("input[name=line-drugs][value=RIBOCICLIB]")
    coordinator.fill("#id_line-start_date", day1.isoformat())
    coordinator.click("button:has-text('Save line 1')")
    expect(coordinator.locator("#id_line-drugs_error, .has-error").first).to_contain_text(
        "Line 1 must include an aromatase inhibitor or selective oestrogen receptor degrader")
    coordinator.check("input[name=line-drugs][value=LETROZOLE]")
    coordinator.fill("#id_line-stop_date", stop.isoformat())
    coordinator.select_option("#id_line-best_response", "PR")
    coordinator.select_option("#id_line-stop_reason", "progression")
    coordinator.click("button:has-text('Save line 1')")
    expect(coordinator.locator(".messages")).to_contain_text("Line 1 recorded")
    coordinator.click("summary:has-text('Add line 2')")
    coordinator.check("input[name=line-drugs][value=CAPECITABINE]")
    coordinator.fill("#id_line-start_date", stop.isoformat())
    coordinator.click("button:has-text('Save line 2')")
    expect(coordinator.locator(".messages")).to_contain_text("Line 2 recorded")
    expect(coordinator.locator("#lines table")).to_contain_text("Capecitabine")
    screenshot(coordinator, "real-world-lines")

    coordinator.goto(f"/studies/{site.study.code}/outcomes/")
    expect(coordinator.locator("#survival")).to_contain_text("Ribociclib: 1 patient, 0 events")
    screenshot(coordinator, "real-world-outcomes")

    lines = list(TreatmentLine.objects.filter(patient=patient).order_by("number"))
    assert [(x.number, x.drugs, x.stop_reason) for x in lines] == [
        (1, ["RIBOCICLIB", "LETROZOLE"], "progression"), (2, ["CAPECITABINE"], "")]
    assert SurvivalStatus.objects.get(visit__patient=patient).last_contact_date == contact
