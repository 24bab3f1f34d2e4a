"""A monitor's visit: find a patient, read the audit trail, raise a query; the coordinator
answers and corrects; the monitor closes the query and verifies the form."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.monitoring.helpers import patient_with_baseline
from trialsite.monitoring.models import Query
from visits.crf.models import VitalSigns

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_monitor_raises_coordinator_answers_and_corrects_monitor_closes_and_verifies(
        new_page, world):
    patient, records = patient_with_baseline(world)
    sid = patient.subject_id

    # The monitor finds the patient and reads the audit trail.
    monitor = new_page()
    log_in(monitor, "monitor-a1")
    monitor.click("nav a:has-text('Patients')")
    monitor.click(f"#patients a:has-text('{sid}')")
    monitor.click("#patient-trail-link")
    trail = monitor.locator("#patient-trail")
    expect(trail).to_contain_text("Vital signs")
    expect(trail).to_contain_text("Weight (kg)")
    monitor.click("#patient-trail a:has-text('Vital signs')")
    expect(monitor.locator("h1")).to_contain_text("Vital signs")
    # …and raises a query on the weight.
    monitor.select_option("#id_field_name", "weight_kg")
    monitor.fill("#id_text", "The source note says 65.8 kg.")
    monitor.click("button:has-text('Raise query')")
    expect(monitor.locator("#query-status")).to_have_text("Open")
    query = Query.objects.get()
    screenshot(monitor, "monitor-query-raised")

    # The coordinator sees it on the home page, corrects the form and answers.
    coordinator = new_page()
    log_in(coordinator, "coordinator-a1")
    expect(coordinator.locator("#open-queries-count")).to_have_text("1")
    coordinator.goto(f"/monitoring/queries/{query.pk}/")
    coordinator.click("#open-form")
    expect(coordinator.locator("#record-queries")).to_contain_text("Weight (kg)")
    expect(coordinator.locator("label[for=id_weight_kg] .query-marker")).to_be_visible()
    coordinator.fill("#id_weight_kg", "65.8")
    coordinator.fill("#id_reason", "Query: transcription error, source says 65.8 kg")
    coordinator.click("button:has-text('Save correction')")
    expect(coordinator.locator(".messages")).to_contain_text("saved")
    coordinator.goto(f"/monitoring/queries/{query.pk}/")
    expect(coordinator.locator(".notice")).to_contain_text("corrected")
    coordinator.fill("#id_text", "Corrected to 65.8 kg from the source note.")
    coordinator.click("#answer-button")
    expect(coordinator.locator("#query-status")).to_have_text("Answered")
    expect(coordinator.locator(".thread")).to_contain_text("correction: record version 2")

    # The monitor closes the query and verifies the corrected form.
    monitor.goto(f"/monitoring/queries/{query.pk}/")
    monitor.fill("#id_close_text", "Checked against the source.")
    monitor.click("#close-button")
    expect(monitor.locator("#query-status")).to_have_text("Closed")
    monitor.click("text=Audit trail and SDV of the record")
    expect(monitor.locator("#trail")).to_contain_text("answers query")
    monitor.click("#sdv-button")
    expect(monitor.locator("#sdv-status")).to_contain_text("Verified")
    screenshot(monitor, "monitor-verified")
    vitals = VitalSigns.objects.get(pk=records["vital_signs"].pk)
    assert str(vitals.weight_kg) == "65.8" and vitals.version == 2
