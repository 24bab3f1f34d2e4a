"""A coordinator enters a whole on-treatment visit (M1) through the real pages."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.factories import enrol, register_patient
from trialsite.models import Role
from visits.crf.models import AdverseEvent
from visits.crf.selectors import site_today
from visits.models import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: The example screening puts day 1 this many days after consent (2026-01-10 → 2026-01-29).
CONSENT_TO_DAY1 = 19


def patient_with_m1_open_today(world):
    """An ICRG0201 patient enrolled so that M1 (day 28, window -3..+7) is due today."""
    coordinator = world.users[Role.COORDINATOR]
    today = site_today(world.site_a1)
    patient = register_patient(world.site_a1, actor=coordinator,
                               consent_date=today - timedelta(days=28 + CONSENT_TO_DAY1))
    patient = enrol(patient, coordinator=coordinator, today=today)
    day1 = patient.enrolment.day1
    m1 = Visit.objects.get(patient=patient, code="M1")
    assert m1.target_date == day1 + timedelta(days=28)
    assert m1.window_start <= today <= m1.window_end, (day1, today)
    return patient, today, day1


def open_form(page, label):
    page.click("p.help a:has-text('(M1)')")
    page.click(f"#visit-forms a:has-text('{label}')")


def save(page):
    page.click("button.primary")
    expect(page.locator(".messages")).to_contain_text("saved")


def test_coordinator_enters_a_full_visit_and_it_completes(new_page, world):
    patient, today, day1 = patient_with_m1_open_today(world)
    sid = patient.subject_id
    page = new_page()
    log_in(page, "coordinator-a1")
    page.goto(f"/patients/{sid}/")
    page.click("table.timeline a[href$='/visits/M1/']")
    expect(page.locator("h1")).to_contain_text("Month 1")
    expect(page.locator("#visit-status")).to_have_text("Open")

    page.click("#visit-forms a:has-text('WHO performance status')")
    page.fill("#id_visit_date", today.isoformat())
    page.check("input[name=who_ps][value='1']")
    save(page)

    open_form(page, "Vital signs")
    for field, value in {"weight_kg": "67.2", "systolic_mmhg": "124", "diastolic_mmhg": "78",
                         "heart_rate_per_min": "74", "temperature_c": "36.7"}.items():
        page.fill(f"#id_{field}", value)
    save(page)

    open_form(page, "Haematology")
    page.fill("#id_sample_date", today.isoformat())
    for analyte, (value, lln, uln) in {
        "neutrophils": ("0.7", "1.8", "7.5"), "leucocytes": ("2.9", "4.0", "10.0"),
        "platelets": ("180", "150", "400"), "haemoglobin": ("12.1", "12.0", "16.0"),
        "lymphocytes": ("1.4", "1.0", "4.0"),
    }.items():
        page.fill(f"#id_{analyte}", value)
        page.fill(f"#id_{analyte}_lln", lln)
        page.fill(f"#id_{analyte}_uln", uln)
    save(page)
    prompt = page.locator(".ae-prompt")
    expect(prompt).to_contain_text("Grade 3 neutrophil count decreased: record an adverse event")
    screenshot(page, "visit-haematology-grade-3")
    prompt.locator("a:has-text('record it now')").click()
    expect(page.locator("#id_term")).to_have_value("Neutrophil count decreased")
    expect(page.locator("input[name=grade][value='3']")).to_be_checked()
    expect(page.locator("#id_start_date")).to_have_value(today.isoformat())
    page.check("input[name=serious][value='False']")
    page.select_option("#id_relation_cdk46i", "probable")
    page.select_option("#id_relation_endocrine", "unlikely")
    page.select_option("#id_action_taken", "interrupted")
    page.select_option("#id_outcome", "not_recovered")
    page.click("#add button.primary")
    expect(page.locator(".messages")).to_contain_text("Neutrophil count decreased grade 3")
    expect(page.locator("#list-items")).to_contain_text("Neutrophil count decreased")

    open_form(page, "Blood chemistry")
    page.fill("#id_sample_date", today.isoformat())
    for analyte, (value, lln, uln) in {
        "bilirubin": ("9", "", "17"), "ast": ("24", "", "40"), "alt": ("28", "", "40"),
        "alp": ("88", "40", "120"), "creatinine": ("68", "45", "90"),
        "calcium": ("2.31", "2.15", "2.55"),
    }.items():
        page.fill(f"#id_{analyte}", value)
        page.fill(f"#id_{analyte}_lln", lln)
        page.fill(f"#id_{analyte}_uln", uln)
    save(page)

    open_form(page, "Study drug exposure")
    page.select_option("#id_dose_level", "125")
    page.fill("#id_cycle_start_date", day1.isoformat())
    page.fill("#id_days_taken", "21")
    page.check("input[name=interrupted][value='False']")
    page.check("input[name=reduced][value='False']")
    page.check("input[name=endocrine_adherence][value='as_prescribed']")
    save(page)

    open_form(page, "Concomitant medications")
    page.click("button:has-text('No new concomitant medications at this visit')")
    expect(page.locator("#list-state")).to_contain_text("Nothing new to report at M1")

    page.click("p.help a:has-text('(M1)')")
    expect(page.locator("#visit-status")).to_have_text("Completed")
    expect(page.locator("#visit-forms")).not_to_contain_text("missing")
    page.goto(f"/patients/{sid}/")
    row = page.locator("table.timeline tr", has=page.locator("a[href$='/visits/M1/']"))
    expect(row.locator(".vstatus")).to_have_text("completed")
    expect(row).not_to_contain_text("missing")
    screenshot(page, "visit-journey-timeline")
    page.goto("/")
    expect(page.locator("#week-missing")).to_contain_text("No visit is waiting")
    expect(page.locator("#week-sae")).to_contain_text("None reported")
    screenshot(page, "visit-journey-home")
    ae = AdverseEvent.objects.get(patient=patient)
    assert (ae.grade, ae.visit.code, ae.serious) == (3, "M1", False)
    m1 = Visit.objects.get(patient=patient, code="M1")
    assert m1.status == Visit.Status.COMPLETED and m1.actual_date == today
