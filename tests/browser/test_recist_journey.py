"""A coordinator records the tumour baseline, a partial response, then progression, in the pages."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from enrollment.models import Enrolment
from outcomes.models import TumourAssessment
from tests.browser.conftest import log_in, screenshot
from tests.factories import enrol, register_patient
from trialsite.models import Role
from visits.crf.selectors import site_today
from visits.models import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: The example screening puts day 1 this many days after consent.
CONSENT_TO_DAY1 = 19
#: Day 1 this long ago: M3 (day 84) is past and M6 (day 168, window ±14) is due.
DAYS_SINCE_DAY1 = 175


def patient_on_day_175(world):
    coordinator = world.users[Role.COORDINATOR]
    today = site_today(world.site_a1)
    patient = register_patient(
        world.site_a1, actor=coordinator,
        consent_date=today - timedelta(days=DAYS_SINCE_DAY1 + CONSENT_TO_DAY1))
    patient = enrol(patient, coordinator=coordinator, today=today)
    day1 = patient.enrolment.day1
    assert day1 == today - timedelta(days=DAYS_SINCE_DAY1)
    return patient, today, day1


def fact(section, label):
    """The value of the ``<dt>label</dt><dd>…</dd>`` pair in ``section``."""
    return section.locator(f"dt:text-is('{label}') + dd")


def enter_assessment(page, sid, code, when, readings, nontarget="PRESENT"):
    page.goto(f"/patients/{sid}/")
    page.click(f"table.timeline a[href$='/visits/{code}/']")
    page.click("#visit-forms a[href$='/tumour-assessment/']")
    page.fill("#id_date", when.isoformat())
    for lesion, mm in readings.items():
        page.fill(f"#id_target_{lesion}", mm)
    page.select_option("#id_nontarget_NT1", nontarget)
    page.select_option("#id_new_lesions", "NO")
    page.click("button.primary")
    expect(page.locator(".messages")).to_contain_text(f"Tumour assessment at {code} recorded")


def test_baseline_partial_response_then_progression(new_page, world):
    patient, today, day1 = patient_on_day_175(world)
    sid = patient.subject_id
    page = new_page()
    log_in(page, "coordinator-a1")

    # Baseline: two targets (50 + 30 = 80 mm) and one non-target, from the casebook.
    page.goto(f"/patients/{sid}/")
    page.click("a:has-text('Record the baseline')")
    expect(page.locator("h1")).to_contain_text("Baseline tumour assessment")
    page.fill("#id_date", (day1 - timedelta(days=10)).isoformat())
    page.select_option("#id_method", "CT")
    expect(page.locator("#id_targets-0-lesion_id")).to_have_value("T1")
    page.fill("#id_targets-0-organ", "liver")
    page.fill("#id_targets-0-diameter_mm", "50")
    page.fill("#id_targets-1-organ", "lung")
    page.fill("#id_targets-1-diameter_mm", "30")
    expect(page.locator("#id_nontargets-0-lesion_id")).to_have_value("NT1")
    page.fill("#id_nontargets-0-organ", "bone")
    page.click("button.primary")
    expect(page.locator(".messages")).to_contain_text("Baseline tumour assessment recorded")
    expect(page.locator("#baseline-lesions")).to_contain_text("Baseline sum of diameters: 80")

    # M3: 34 + 20 = 54 mm, −32.5 % from baseline: partial response.
    m3_date = day1 + timedelta(days=84)
    enter_assessment(page, sid, "M3", m3_date, {"T1": "34", "T2": "20"})
    result = page.locator("#result")
    expect(fact(result, "Sum of diameters")).to_have_text("54.0 mm")
    expect(fact(result, "Change from baseline (80.0 mm)")).to_have_text("-26.0 mm (-32.5 %)")
    expect(fact(result, "Target response")).to_have_text("PR")
    expect(fact(result, "Overall response")).to_have_text("PR")

    # M6: 45 + 25 = 70 mm, +16 mm (+29.6 %) over the nadir of 54: progression.
    m6_date = today - timedelta(days=5)
    enter_assessment(page, sid, "M6", m6_date, {"T1": "45", "T2": "25"})
    expect(fact(result, "Sum of diameters")).to_have_text("70.0 mm")
    expect(fact(result, "Change from nadir (54.0 mm)")).to_have_text("16.0 mm (+29.6 %)")
    expect(fact(result, "Target response")).to_have_text("PD")
    expect(fact(result, "Overall response")).to_have_text("PD")
    rows = page.locator("#working table.recist-working tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".response")).to_have_text("PR")
    expect(rows.nth(1).locator(".response")).to_have_text("PD")
    expect(rows.nth(0)).to_contain_text("-32.5 %")
    screenshot(page, "recist-journey-progression")

    # The casebook: later visits cancelled, end of treatment scheduled.
    page.goto(f"/patients/{sid}/")
    m9 = page.locator("table.timeline tr", has=page.locator("a[href$='/visits/M9/']"))
    expect(m9.locator(".vstatus")).to_have_text("cancelled")
    expect(page.locator("table.timeline a[href$='/visits/EOT/']")).to_have_count(1)
    screenshot(page, "recist-journey-casebook")

    # The study outcomes page, reached from the study overview, shows the patient's working.
    page.goto(f"/studies/{patient.site.study.code}/")
    page.click("text=Study outcomes")
    expect(page.locator("h1")).to_contain_text("outcomes")
    expect(page.locator("main")).to_contain_text(sid)
    expect(page.locator("svg").first).to_be_visible()
    screenshot(page, "study-outcomes")

    enrolment = Enrolment.objects.get(patient=patient)
    assert (enrolment.progression_date, enrolment.progression_basis) == (m6_date, "radiological")
    assert list(TumourAssessment.objects.filter(patient=patient)
                .values_list("computed_response", flat=True)) == ["PR", "PD"]
    status = dict(Visit.objects.filter(patient=patient).values_list("code", "status"))
    assert status["M9"] == status["M12"] == "cancelled"
    assert status["EOT"] == "planned"
