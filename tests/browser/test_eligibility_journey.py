"""Screen → confirm → enrol in headless Chromium, with the live criteria panel."""

import pytest
from playwright.sync_api import expect

from eligibility.domain.screening import example_values
from eligibility.forms import form_variables
from enrollment.models import Enrolment, Patient
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_screening(page, values, names):
    for name in names:
        value = values.get(name, "")
        selector = f"[name={name}]"
        tag = page.eval_on_selector(selector, "el => el.tagName")
        if tag == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)


def test_coordinator_screens_investigator_confirms_coordinator_enrols(new_page, world):
    patient = world.patient_a1
    protocol = patient.site.study.protocol
    values = example_values(protocol, patient.consent_date)
    names = [v.name for v in form_variables(protocol)]

    coordinator = new_page()
    log_in(coordinator, "coordinator-a1")
    coordinator.goto(f"/patients/{patient.subject_id}/")
    coordinator.click("text=Start the screening")
    fill_screening(coordinator, {**values, "neutrophils_g_l": "1.2"}, names)
    # The criteria panel follows the form without saving.
    verdict = coordinator.locator("#criteria #verdict")
    expect(verdict).to_contain_text("NOT_ELIGIBLE")
    expect(coordinator.locator("#criteria tr[data-code=INC10]")).to_contain_text(
        "Neutrophils 1.2 G/L < 1.5 G/L")
    screenshot(coordinator, "screening-not-eligible")
    coordinator.fill("[name=neutrophils_g_l]", "3.2")
    expect(verdict).to_contain_text("ELIGIBLE")
    expect(verdict).not_to_contain_text("NOT_ELIGIBLE")
    coordinator.click("button:has-text('Save screening')")
    expect(coordinator.locator(".messages")).to_contain_text("Screening saved: Eligible")

    investigator = new_page()
    log_in(investigator, "investigator-a1")
    investigator.goto(f"/patients/{patient.subject_id}/screening/")
    investigator.click("text=Confirm eligibility (sign)")
    expect(investigator.locator(".meaning")).to_contain_text(
        "I confirm this patient meets all eligibility criteria")
    investigator.fill("#id_password", "correct-horse-battery")
    investigator.click("button:has-text('Sign and confirm')")
    expect(investigator.locator("#panel-eligibility")).to_contain_text("Eligibility confirmed by")

    coordinator.goto(f"/patients/{patient.subject_id}/")
    coordinator.click("#panel-eligibility >> text=Enrol patient")
    coordinator.select_option("#id_endocrine", "ANASTROZOLE")
    coordinator.click("button:has-text('Enrol')")
    expect(coordinator.locator(".status.big")).to_have_text("Enrolled")
    expect(coordinator.locator("#enrolment")).to_contain_text(values["registration_date"])
    screenshot(coordinator, "casebook-enrolled")
    enrolment = Enrolment.objects.get(patient=patient)
    assert (enrolment.cdk46i, enrolment.endocrine, str(enrolment.day1)) == (
        "PALBOCICLIB", "ANASTROZOLE", values["registration_date"])
    assert Patient.objects.get(pk=patient.pk).status == "enrolled"
