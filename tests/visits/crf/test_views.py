"""The visit page and the visit forms as coordinators, monitors and sponsors use them."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.visits.crf.test_services import (
    ADVERSE_EVENT,
    CHEMISTRY,
    DRUG_EXPOSURE,
    HAEMATOLOGY,
    M1_DAY,
    MEDICATION,
    PERFORMANCE_STATUS,
    SAVE,
    VITAL_SIGNS,
    enrolled_patient,
    save,
    visit_of,
    with_ovarian_suppression,
)
from trialsite.models import Role
from visits import services as visit_services
from visits.crf import services as crf_services
from visits.crf.models import (
    SAE_CRITERIA,
    AdverseEvent,
    ConcomitantMedication,
    Haematology,
    PerformanceStatus,
    VitalSigns,
)
from visits.models import Visit

READERS = [Role.MONITOR, Role.DATA_MANAGER, Role.SPONSOR]
CHECKBOXES = {"ongoing", *(name for name, _ in SAE_CRITERIA)}
VALUES = {
    "performance_status": PERFORMANCE_STATUS,
    "vital_signs": VITAL_SIGNS,
    "haematology": HAEMATOLOGY,
    "chemistry": CHEMISTRY,
    "drug_exposure": DRUG_EXPOSURE,
    "adverse_events": ADVERSE_EVENT,
    "concomitant_medications": MEDICATION,
}


def post_data(values, **changes):
    """Values as a browser posts them: yes/no as True/False, ticked boxes as "on"."""
    data = {}
    for name, value in {**values, **changes}.items():
        if name in CHECKBOXES:
            if value:
                data[name] = "on"
        elif value is None:
            data[name] = ""
        elif isinstance(value, date):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    return data


def form_url(patient, code, form_code):
    return reverse("visit-form", args=[patient.subject_id, code, form_code])


def visit_url(patient, code):
    return reverse("visit-detail", args=[patient.subject_id, code])


@pytest.fixture
def patient(world):
    return enrolled_patient(world)


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


# --- the visit page ---------------------------------------------------------------------------


def test_visit_page_shows_window_status_forms_samples_and_trail(coordinator_client, coordinator,
                                                                patient):
    save("performance_status", coordinator, visit_of(patient, "BL"))
    response = coordinator_client.get(visit_url(patient, "BL"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Baseline (D1)" in page and "2026-01-29 to 2026-02-01" in page
    assert response.context["status"] == "incomplete"
    states = {f.code: f for f in response.context["forms"]}
    assert states["performance_status"].entered
    assert states["vital_signs"].missing_required
    assert not states["adverse_events"].required and not states["adverse_events"].entered
    assert 'id="form-vital_signs" class="missing-required"' in page
    assert "missing (required)" in page
    assert form_url(patient, "BL", "vital_signs") in page
    assert "Liquid biopsy" in page and "Clinical assessment" in page
    assert [e.action for e in response.context["history"]] == ["changed", "created"]
    assert "Report missed" not in page


def test_an_untouched_visit_past_its_window_is_overdue_and_can_be_reported_missed(
        coordinator_client, patient):
    response = coordinator_client.get(visit_url(patient, "M1"))
    assert response.context["status"] == "overdue"
    assert reverse("visit-missed", args=[patient.subject_id, "M1"]) in response.content.decode()


def test_a_visit_date_outside_the_window_is_shown_as_a_deviation_not_refused(
        coordinator_client, patient):
    response = coordinator_client.post(
        form_url(patient, "BL", "performance_status"),
        post_data(PERFORMANCE_STATUS, visit_date=date(2026, 2, 5), version=0),
    )
    assert response.status_code == 302
    page = coordinator_client.get(visit_url(patient, "BL")).content.decode()
    assert "Outside the visit window" in page
    assert "BL on 2026-02-05 is 4 days after its window closed" in page


def test_forms_of_another_modules_are_listed_without_a_link(coordinator_client, patient):
    response = coordinator_client.get(visit_url(patient, "M3"))
    states = {f.code: f for f in response.context["forms"]}
    assert states["tumour_assessment"].required and not states["tumour_assessment"].linked


@pytest.mark.parametrize("route, args", [
    ("visit-detail", ["M99"]),
    ("visit-form", ["SCR", "drug_exposure"]),
    ("visit-form", ["BL", "tumour_assessment"]),
    ("visit-form", ["BL", "unknown_form"]),
    ("visit-form-item", ["BL", "adverse_events", 999]),
])
def test_unknown_visits_forms_and_entries_answer_404(coordinator_client, patient, route, args):
    assert coordinator_client.get(reverse(route, args=[patient.subject_id, *args])).status_code \
        == 404


def test_another_sites_patient_answers_404(coordinator_client, world, patient):
    url = reverse("visit-detail", args=[world.patient_a2.subject_id, "BL"])
    assert coordinator_client.get(url).status_code == 404


def test_reporting_a_visit_missed_needs_a_reason(coordinator_client, patient):
    url = reverse("visit-missed", args=[patient.subject_id, "M1"])
    visit = visit_of(patient, "M1")
    assert coordinator_client.get(url).status_code == 200
    response = coordinator_client.post(url, {"version": visit.version, "reason": "  "})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    response = coordinator_client.post(url, {"version": visit.version,
                                             "reason": "Patient hospitalised elsewhere"})
    assert response.status_code == 302
    visit = visit_of(patient, "M1")
    assert visit.status == Visit.Status.MISSED
    assert visit.status_reason == "Patient hospitalised elsewhere"
    page = coordinator_client.get(visit_url(patient, "M1")).content.decode()
    assert "Patient hospitalised elsewhere" in page and "Report missed" not in page


# --- entering and correcting ------------------------------------------------------------------


def test_entering_every_baseline_form_completes_the_visit(coordinator_client, patient):
    codes = ["performance_status", "vital_signs", "haematology", "chemistry", "drug_exposure"]
    for index, code in enumerate(codes):
        url = form_url(patient, "BL", code)
        assert coordinator_client.get(url).status_code == 200
        response = coordinator_client.post(url, post_data(VALUES[code], version=0))
        assert response.status_code == 302, response.context["form"].errors
        assert response.url == url
        visit = visit_of(patient, "BL")
        assert visit.status == (Visit.Status.COMPLETED if index == len(codes) - 1
                                else Visit.Status.INCOMPLETE)
    page = coordinator_client.get(visit_url(patient, "BL")).content.decode()
    assert "missing (required)" not in page


def test_a_correction_needs_a_reason_and_shows_in_the_trail(coordinator_client, coordinator,
                                                            patient):
    save("vital_signs", coordinator, visit_of(patient, "BL"))
    url = form_url(patient, "BL", "vital_signs")
    response = coordinator_client.get(url)
    assert "reason" in response.context["form"].fields
    assert response.context["form"]["weight_kg"].value() == Decimal("68.5")
    response = coordinator_client.post(url, post_data(VITAL_SIGNS, weight_kg="69", version=1))
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["This field is required."]
    response = coordinator_client.post(url, post_data(VITAL_SIGNS, weight_kg="69", version=1,
                                                      reason="Scale recalibrated"))
    assert response.status_code == 302
    record = VitalSigns.objects.get()
    assert record.weight_kg == Decimal("69") and record.version == 2
    response = coordinator_client.get(url)
    entry = response.context["history"][0]
    assert entry.reason == "Scale recalibrated" and coordinator.username in entry.user_label
    assert "Scale recalibrated" in response.content.decode()


def test_a_stale_version_shows_the_conflict_panel_with_the_other_change(
        coordinator_client, world, coordinator, patient):
    bl = visit_of(patient, "BL")
    save("performance_status", coordinator, bl)
    crf_services.performance_status_save(
        actor=world.users[Role.INVESTIGATOR], visit=bl,
        values={**PERFORMANCE_STATUS, "who_ps": 2}, expected_version=1,
        reason="Investigator's assessment")
    response = coordinator_client.post(
        form_url(patient, "BL", "performance_status"),
        post_data(PERFORMANCE_STATUS, who_ps=0, version=1, reason="My correction"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Changed by someone else meanwhile" in page and "Investigator&#x27;s assessment" in page
    assert response.context["form"]["version"].value() == "2"
    assert PerformanceStatus.objects.get().who_ps == 2


def test_entering_a_form_someone_entered_meanwhile_shows_the_conflict(
        coordinator_client, world, patient):
    save("performance_status", world.users[Role.INVESTIGATOR], visit_of(patient, "BL"))
    response = coordinator_client.post(form_url(patient, "BL", "performance_status"),
                                       post_data(PERFORMANCE_STATUS, who_ps=0, version=0))
    assert response.status_code == 200
    assert response.context["conflict"] is not None
    assert "reason" in response.context["form"].fields
    assert PerformanceStatus.objects.get().who_ps == 1


@pytest.mark.parametrize("code, visit, changes, field, message", [
    ("vital_signs", "BL", {"weight_kg": "68\x00"}, "weight_kg", "Null characters"),
    ("vital_signs", "BL", {"weight_kg": "350"}, "weight_kg", "Out of range: expected 20–300 kg"),
    ("vital_signs", "BL", {"weight_kg": "150 lb"}, "weight_kg", "Wrong unit “lb”"),
    ("vital_signs", "BL", {"temperature_c": "98.6 F"}, "temperature_c", "Wrong unit “F”"),
    ("vital_signs", "BL", {"temperature_c": "warm"}, "temperature_c", "Enter a number in °C"),
    ("vital_signs", "BL", {"systolic_mmhg": "120", "diastolic_mmhg": "130"}, "diastolic_mmhg",
     "must be below the systolic"),
    ("vital_signs", "BL", {"height_cm": ""}, "height_cm", "This field is required"),
    ("vital_signs", "BL", {"systolic_mmhg": "120.5"}, "systolic_mmhg", "whole number of mmHg"),
    ("vital_signs", "BL", {"weight_kg": "68.55"}, "weight_kg", "at most 1 decimal"),
    ("performance_status", "BL", {"visit_date": "2026-13-01"}, "visit_date", "valid date"),
    ("performance_status", "BL", {"visit_date": "2026-01-30\x00"}, "visit_date",
     "Null characters"),
    ("performance_status", "BL", {"who_ps": "5"}, "who_ps", "Select a valid choice"),
    ("haematology", "BL", {"haemoglobin": "125"}, "haemoglobin", "expected 2–25 g/dL"),
    ("haematology", "BL", {"neutrophils": "3.2 mg"}, "neutrophils", "Wrong unit “mg”"),
    ("haematology", "BL", {"platelets": "1,500"}, "platelets", "Ambiguous"),
    ("haematology", "BL", {"platelets_lln": "500"}, "platelets_uln", "ULN must be above"),
    ("chemistry", "BL", {"alt_uln": ""}, "alt_uln", "ULN is needed to grade alt"),
    ("drug_exposure", "BL", {"dose_level": "150"}, "dose_level", "Select a valid choice"),
    ("drug_exposure", "BL", {"days_taken": "29"}, "days_taken", "enter 0 to 21"),
    ("drug_exposure", "BL", {"days_taken": "22"}, "days_taken",
     "Palbociclib is taken at most 21 days of each 28-day cycle"),
    ("drug_exposure", "BL", {"interrupted": "True"}, "interruption_reason",
     "reason for an interruption"),
    ("adverse_events", "M1", {"end_date": "2026-02-01", "outcome": "recovered"}, "end_date",
     "before the start date"),
    ("adverse_events", "M1", {"grade": "5", "serious": "True", "sae_death": True,
                              "end_date": "2026-02-21"}, "outcome", "grade 5 event is fatal"),
    ("adverse_events", "M1", {"serious": "True"}, "serious", "at least one seriousness"),
    ("adverse_events", "M1", {"term": "Fatigue\x00"}, "term", "Null characters"),
    ("concomitant_medications", "M1", {"stop_date": "2026-02-10"}, "stop_date", "not both"),
    ("concomitant_medications", "M1", {"ongoing": False, "stop_date": "2026-01-01"},
     "stop_date", "before the start date"),
])
def test_bad_input_is_refused_at_its_field(coordinator_client, patient, code, visit, changes,
                                           field, message):
    response = coordinator_client.post(form_url(patient, visit, code),
                                       post_data(VALUES[code], version=0, **changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(message in error for error in errors[field]), errors[field]
    assert '<p class="error" role="alert">' in response.content.decode()
    assert visit_of(patient, visit).entered_forms == []


def test_dates_in_the_future_are_refused_at_the_field(coordinator_client, patient):
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = coordinator_client.post(form_url(patient, "BL", "performance_status"),
                                       post_data(PERFORMANCE_STATUS, visit_date=future,
                                                 version=0))
    assert "in the future" in response.context["form"].errors["visit_date"][0]
    response = coordinator_client.post(form_url(patient, "M1", "adverse_events"),
                                       post_data(ADVERSE_EVENT, start_date=future))
    assert "in the future" in response.context["form"].errors["start_date"][0]


def test_units_typed_after_a_value_are_accepted(coordinator_client, patient):
    response = coordinator_client.post(form_url(patient, "BL", "vital_signs"), post_data(
        VITAL_SIGNS, temperature_c="36,8 °C", heart_rate_per_min="76 bpm", version=0))
    assert response.status_code == 302
    record = VitalSigns.objects.get()
    assert record.temperature_c == Decimal("36.8") and record.heart_rate_per_min == 76


def test_haemoglobin_in_g_per_l_is_stored_in_g_per_dl_and_shown_as_entered(
        coordinator_client, patient):
    url = form_url(patient, "BL", "haematology")
    response = coordinator_client.post(url, post_data(
        HAEMATOLOGY, haemoglobin_unit="g/L", haemoglobin="75", haemoglobin_lln="120",
        haemoglobin_uln="160", version=0))
    assert response.status_code == 302
    record = Haematology.objects.get()
    assert (record.haemoglobin, record.haemoglobin_lln, record.haemoglobin_uln) == (
        Decimal("7.5"), Decimal("12"), Decimal("16"))
    assert record.haemoglobin_unit == "g/L"
    response = coordinator_client.get(url)
    form = response.context["form"]
    assert [form[name].value() for name in ("haemoglobin", "haemoglobin_lln",
                                            "haemoglobin_uln")] == ["75", "120", "160"]
    assert form["haemoglobin_unit"].value() == "g/L"
    assert "Grade 3 anaemia: record an adverse event" in response.content.decode()


def test_lab_page_shows_grades_and_a_prompt_that_prefills_the_adverse_event(
        coordinator_client, patient):
    response = coordinator_client.post(
        form_url(patient, "M1", "haematology"),
        post_data(HAEMATOLOGY, sample_date="2026-02-27", neutrophils="0.7", version=0),
        follow=True)
    page = response.content.decode()
    assert "Grade 3 neutrophil count decreased: record an adverse event" in page
    assert "Neutrophils 0.70 G/L: grade 3 neutrophil count decreased" in page
    link = (form_url(patient, "M1", "adverse_events")
            + "?term=Neutrophil%20count%20decreased&amp;grade=3&amp;start_date=2026-02-27")
    assert link in page
    response = coordinator_client.get(link.replace("&amp;", "&"))
    form = response.context["form"]
    assert form["term"].value() == "Neutrophil count decreased"
    assert form["grade"].value() == 3
    assert form["start_date"].value() == date(2026, 2, 27)


def test_a_low_site_lln_does_not_hide_grade_3_neutropenia_on_the_page(coordinator_client,
                                                                      patient):
    # Issue 13: ANC 0.9 G/L with a site LLN of 0.8 (benign ethnic neutropenia) is grade 3.
    response = coordinator_client.post(
        form_url(patient, "M1", "haematology"),
        post_data(HAEMATOLOGY, sample_date="2026-02-27", neutrophils="0.9",
                  neutrophils_lln="0.8", version=0),
        follow=True)
    page = response.content.decode()
    assert "Neutrophils 0.90 G/L: grade 3 neutrophil count decreased" in page
    assert "Grade 3 neutrophil count decreased: record an adverse event" in page


def test_no_prompt_below_grade_3(coordinator_client, coordinator, patient):
    save("haematology", coordinator, visit_of(patient, "M1"), neutrophils=Decimal("1.2"))
    page = coordinator_client.get(form_url(patient, "M1", "haematology")).content.decode()
    assert "Grade 2" in page and "record an adverse event" not in page


def test_chemistry_page_grades_transaminases_against_the_uln(coordinator_client, coordinator,
                                                             patient):
    save("chemistry", coordinator, visit_of(patient, "M1"), alt=Decimal("130"))
    response = coordinator_client.get(form_url(patient, "M1", "chemistry"))
    grades = {row.analyte.name: row.grade for row in response.context["lab_rows"]}
    assert grades["alt"].grade == 2 and grades["ast"].grade == 0
    assert grades["bilirubin"].grade == 0 and grades["creatinine"].grade == 0
    assert "ALT 130.0 U/L: grade 2" in response.content.decode()


def test_drug_exposure_offers_the_protocols_dose_levels(coordinator_client, coordinator,
                                                       patient):
    save("drug_exposure", coordinator, visit_of(patient, "BL"))
    response = coordinator_client.get(form_url(patient, "M1", "drug_exposure"))
    form = response.context["form"]
    assert [value for value, _ in form.fields["dose_level"].choices] == [
        "", "125", "100", "75", "discontinued"]
    assert form.fields["dose_level"].label == "Palbociclib dose level"
    assert "ovarian_suppression_adherence" not in form.fields
    assert "Previous record (BL" in response.content.decode()
    response = coordinator_client.post(form_url(patient, "M1", "drug_exposure"), post_data(
        DRUG_EXPOSURE, dose_level="100", version=0))
    assert "record it as a reduction" in response.context["form"].errors["reduced"][0]


def test_a_missed_visits_forms_are_read_only(coordinator_client, coordinator, patient):
    visit_services.visit_record_missed(actor=coordinator, visit=visit_of(patient, "M1"),
                                       reason="Patient travelling")
    response = coordinator_client.get(form_url(patient, "M1", "vital_signs"))
    assert response.context["can_edit"] is False
    assert "reported missed (Patient travelling): it takes no forms" in \
        response.content.decode()
    response = coordinator_client.post(form_url(patient, "M1", "vital_signs"),
                                       post_data(VITAL_SIGNS, version=0))
    assert "reported missed" in response.context["form"].non_field_errors()[0]
    assert not VitalSigns.objects.exists()


def test_the_drug_exposure_form_asks_for_ovarian_suppression_when_given(
        coordinator_client, patient):
    with_ovarian_suppression(patient)
    form = coordinator_client.get(form_url(patient, "BL", "drug_exposure")).context["form"]
    assert form.fields["ovarian_suppression_adherence"].required
    assert form.fields["ovarian_suppression_adherence"].label.endswith("adherence")
    form = coordinator_client.get(form_url(patient, "M1", "adverse_events")).context["form"]
    assert form.fields["relation_ovarian_suppression"].label.startswith("Relation to LHRH")


# --- lists ------------------------------------------------------------------------------------


def test_adverse_events_are_added_corrected_and_voided_with_reasons(coordinator_client,
                                                                     patient):
    url = form_url(patient, "M1", "adverse_events")
    response = coordinator_client.post(url, post_data(ADVERSE_EVENT, term="fatigue", grade="2"))
    assert response.status_code == 302
    ae = AdverseEvent.objects.get()
    assert ae.term == "Fatigue" and ae.visit.code == "M1"
    assert "adverse_events" in visit_of(patient, "M1").entered_forms
    item_url = reverse("visit-form-item", args=[patient.subject_id, "M1", "adverse_events",
                                                ae.pk])
    assert item_url in coordinator_client.get(url).content.decode()
    response = coordinator_client.post(item_url, post_data(ADVERSE_EVENT, term="Fatigue",
                                                           grade="3", version=1))
    assert response.context["form"].errors["reason"] == ["This field is required."]
    response = coordinator_client.post(item_url, post_data(
        ADVERSE_EVENT, term="Fatigue", grade="3", version=1, reason="Worse than reported"))
    assert response.status_code == 302
    ae.refresh_from_db()
    assert ae.grade == 3 and ae.version == 2
    history = coordinator_client.get(item_url).context["history"]
    assert history[0].reason == "Worse than reported"
    void_url = reverse("visit-form-item-void", args=[patient.subject_id, "M1",
                                                     "adverse_events", ae.pk])
    response = coordinator_client.post(void_url, {"version": 2, "reason": ""})
    assert "reason" in response.context["form"].errors
    response = coordinator_client.post(void_url, {"version": 2, "reason": "Wrong patient"})
    assert response.status_code == 302
    ae.refresh_from_db()
    assert ae.is_voided and ae.void_reason == "Wrong patient"
    page = coordinator_client.get(url).content.decode()
    assert 'class="voided"' in page and "Fatigue" in page
    assert "adverse_events" not in visit_of(patient, "M1").entered_forms


def test_a_serious_adverse_event_has_a_badge_on_the_visit_page_and_the_list(
        coordinator_client, coordinator, patient):
    crf_services.adverse_event_create(actor=coordinator, visit=visit_of(patient, "M1"), values={
        **ADVERSE_EVENT, "term": "Febrile neutropenia", "serious": True,
        "sae_hospitalisation": True})
    visit_page = coordinator_client.get(visit_url(patient, "M1"))
    assert {f.code: f for f in visit_page.context["forms"]}["adverse_events"].serious
    assert visit_page.content.decode().count('class="badge badge-sae"') >= 2
    list_page = coordinator_client.get(form_url(patient, "M1", "adverse_events"))
    assert 'class="badge badge-sae" title="Requires or prolongs hospitalisation"' in \
        list_page.content.decode()


def test_an_edit_of_a_stale_adverse_event_shows_the_conflict(coordinator_client, world,
                                                             patient):
    ae = crf_services.adverse_event_create(actor=world.users[Role.INVESTIGATOR],
                                           visit=visit_of(patient, "M1"), values=ADVERSE_EVENT)
    crf_services.adverse_event_update(actor=world.users[Role.INVESTIGATOR], adverse_event=ae,
                                      values={**ADVERSE_EVENT, "grade": 4}, expected_version=1,
                                      reason="Nadir")
    response = coordinator_client.post(
        reverse("visit-form-item", args=[patient.subject_id, "M1", "adverse_events", ae.pk]),
        post_data(ADVERSE_EVENT, grade="2", version=1, reason="Mine"))
    assert response.status_code == 200 and response.context["conflict"] is not None
    assert "Changed by someone else meanwhile" in response.content.decode()
    assert AdverseEvent.objects.get().grade == 4


def test_nothing_new_enters_the_list_form_of_the_visit(coordinator_client, patient):
    url = reverse("visit-form-none", args=[patient.subject_id, "M1", "concomitant_medications"])
    assert coordinator_client.get(url).status_code == 405
    response = coordinator_client.post(url)
    assert response.status_code == 302
    assert visit_of(patient, "M1").entered_forms == ["concomitant_medications"]
    page = coordinator_client.get(form_url(patient, "M1", "concomitant_medications"))
    assert "Nothing new to report at M1" in page.content.decode()


def test_medications_are_added_and_listed(coordinator_client, patient):
    url = form_url(patient, "M1", "concomitant_medications")
    response = coordinator_client.post(url, post_data(MEDICATION))
    assert response.status_code == 302
    assert ConcomitantMedication.objects.get().ongoing
    page = coordinator_client.get(url).content.decode()
    assert "Paracetamol" in page and "ongoing" in page


# --- readers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_readers_see_forms_read_only(client, world, coordinator, patient, role):
    bl = visit_of(patient, "BL")
    save("vital_signs", coordinator, bl)
    save("haematology", coordinator, visit_of(patient, "BL"), neutrophils=Decimal("0.4"))
    client.force_login(world.users[role])
    response = client.get(form_url(patient, "BL", "vital_signs"))
    assert response.status_code == 200 and response.context["can_edit"] is False
    page = response.content.decode()
    assert 'id="record-facts"' in page and "Weight (kg)" in page and "68.5" in page
    assert "Save correction" not in page
    response = client.get(form_url(patient, "BL", "haematology"))
    assert "Grade 4 neutrophil count decreased: record an adverse event" in \
        response.content.decode()
    assert "record it now" not in response.content.decode()
    visit_page = client.get(visit_url(patient, "BL")).content.decode()
    assert "Report missed" not in visit_page


@pytest.mark.parametrize("role", READERS)
def test_readers_cannot_write(client, world, coordinator, patient, role):
    ae = crf_services.adverse_event_create(actor=coordinator, visit=visit_of(patient, "M1"),
                                           values=ADVERSE_EVENT)
    client.force_login(world.users[role])
    sid = patient.subject_id
    posts = [
        (form_url(patient, "BL", "performance_status"), post_data(PERFORMANCE_STATUS,
                                                                  version=0)),
        (form_url(patient, "M1", "adverse_events"), post_data(ADVERSE_EVENT)),
        (reverse("visit-form-item", args=[sid, "M1", "adverse_events", ae.pk]),
         post_data(ADVERSE_EVENT, grade="4", version=1, reason="x")),
        (reverse("visit-form-item-void", args=[sid, "M1", "adverse_events", ae.pk]),
         {"version": 1, "reason": "x"}),
        (reverse("visit-form-none", args=[sid, "M1", "concomitant_medications"]), {}),
        (reverse("visit-missed", args=[sid, "M2"]), {"version": 1, "reason": "x"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    for url in (reverse("visit-missed", args=[sid, "M2"]),
                reverse("visit-form-item-void", args=[sid, "M1", "adverse_events", ae.pk])):
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("visit-form-item", args=[sid, "M1", "adverse_events",
                                                      ae.pk])).status_code == 200
    assert not PerformanceStatus.objects.exists()
    assert AdverseEvent.objects.get().version == 1
    assert visit_of(patient, "M2").status == Visit.Status.PLANNED


# --- query counts -----------------------------------------------------------------------------


def _add_adverse_events(coordinator, patient, code, n):
    for i in range(n):
        crf_services.adverse_event_create(
            actor=coordinator, visit=visit_of(patient, code),
            values={**ADVERSE_EVENT, "term": f"Event {i}", "serious": i % 2 == 0,
                    "sae_hospitalisation": i % 2 == 0})


def test_visit_page_costs_the_same_for_1_and_25_adverse_events_and_trail_rows(
        coordinator_client, coordinator, patient):
    url = visit_url(patient, "M1")
    _add_adverse_events(coordinator, patient, "M1", 1)
    one = count_queries(coordinator_client, url)
    _add_adverse_events(coordinator, patient, "M1", 24)
    for day in range(24):
        values = {**PERFORMANCE_STATUS,
                  "visit_date": date(2026, 2, 23) + timedelta(days=day % 8)}
        record = PerformanceStatus.objects.filter(visit__code="M1").first()
        crf_services.performance_status_save(
            actor=coordinator, visit=visit_of(patient, "M1"), values=values,
            expected_version=record.version if record else None,
            reason=f"Correction {day}" if record else None)
    assert len(coordinator_client.get(url).context["history"]) >= 20
    assert count_queries(coordinator_client, url) == one


@pytest.mark.parametrize("form_code", ["adverse_events", "concomitant_medications"])
def test_list_pages_cost_the_same_for_1_and_25_entries(coordinator_client, coordinator,
                                                       patient, form_code):
    url = form_url(patient, "M1", form_code)

    def add(n):
        for i in range(n):
            if form_code == "adverse_events":
                _add_adverse_events(coordinator, patient, "M1", 1)
            else:
                crf_services.concomitant_medication_create(
                    actor=coordinator, visit=visit_of(patient, "M1"),
                    values={**MEDICATION, "name": f"Drug {i}"})

    add(1)
    one = count_queries(coordinator_client, url)
    add(24)
    assert len(coordinator_client.get(url).context["items"]) == 25
    assert count_queries(coordinator_client, url) == one


@pytest.mark.parametrize("form_code", ["performance_status", "vital_signs", "haematology",
                                       "chemistry", "drug_exposure"])
def test_form_pages_cost_the_same_for_1_and_25_versions(coordinator_client, coordinator,
                                                        patient, form_code):
    url = form_url(patient, "M1", form_code)
    extra = {"performance_status": {"visit_date": M1_DAY},
             "haematology": {"sample_date": M1_DAY},
             "chemistry": {"sample_date": M1_DAY}}.get(form_code, {})
    record = save(form_code, coordinator, visit_of(patient, "M1"), **extra)
    one = count_queries(coordinator_client, url)
    service, values = SAVE[form_code]
    toggle = {"performance_status": ("who_ps", 1, 2),
              "vital_signs": ("heart_rate_per_min", 76, 80),
              "haematology": ("neutrophils", Decimal("3.2"), Decimal("3.3")),
              "chemistry": ("alt", Decimal("30"), Decimal("31")),
              "drug_exposure": ("days_taken", 1, 2)}[form_code]
    name, first, second = toggle
    for i in range(24):
        record = service(actor=coordinator, visit=visit_of(patient, "M1"),
                         values={**values, **extra, name: second if i % 2 == 0 else first},
                         expected_version=record.version, reason=f"Correction {i}")
    assert len(coordinator_client.get(url).context["history"]) == 25
    assert count_queries(coordinator_client, url) == one


def test_an_entry_page_costs_the_same_for_1_and_25_versions(coordinator_client, coordinator,
                                                            patient):
    ae = crf_services.adverse_event_create(actor=coordinator, visit=visit_of(patient, "M1"),
                                           values=ADVERSE_EVENT)
    url = reverse("visit-form-item", args=[patient.subject_id, "M1", "adverse_events", ae.pk])
    one = count_queries(coordinator_client, url)
    for i in range(24):
        ae = crf_services.adverse_event_update(
            actor=coordinator, adverse_event=ae,
            values={**ADVERSE_EVENT, "grade": 3 if i % 2 else 4}, expected_version=ae.version,
            reason=f"Correction {i}")
    assert count_queries(coordinator_client, url) == one
