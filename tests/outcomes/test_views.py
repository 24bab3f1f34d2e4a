"""Tumour baseline and assessment pages: entry, the working shown, readers, query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollment.models import Patient
from outcomes import services
from outcomes.models import TargetLesion, TumourAssessment
from tests.outcomes.test_services import BASELINE_DAY, on_treatment, target, visit  # noqa: F401
from trialsite.models import Role

READERS = [Role.MONITOR, Role.DATA_MANAGER, Role.SPONSOR]


@pytest.fixture
def with_baseline(on_treatment, coordinator):  # noqa: F811
    services.baseline_record(actor=coordinator, patient=on_treatment, date=BASELINE_DAY,
                             targets=[target("T1", "liver", "50")],
                             nontargets=[{"lesion_id": "NT1", "organ": "bone"}])
    return on_treatment


def baseline_post(**rows):
    data = {"date": BASELINE_DAY.isoformat(), "method": "CT",
            "targets-TOTAL_FORMS": "6", "targets-INITIAL_FORMS": "0",
            "nontargets-TOTAL_FORMS": "5", "nontargets-INITIAL_FORMS": "0"}
    data.update(rows)
    return data


def assessment_url(patient, code):
    return reverse("tumour-assessment", args=[patient.subject_id, code])


def test_baseline_page_refuses_at_the_field_then_saves(client, on_treatment,  # noqa: F811
                                                       coordinator):
    client.force_login(coordinator)
    url = reverse("tumour-baseline", args=[on_treatment.subject_id])
    assert client.get(url).status_code == 200
    response = client.post(url, baseline_post(**{
        "targets-0-lesion_id": "T1", "targets-0-organ": "liver", "targets-0-diameter_mm": "50",
        "targets-2-lesion_id": "T2", "targets-2-organ": "lung", "targets-2-diameter_mm": "8",
    }))
    assert response.status_code == 200
    errors = response.context["targets"].forms[2].errors
    assert "non-nodal target needs at least 10" in errors["diameter_mm"][0]
    response = client.post(url, baseline_post(**{
        "targets-0-lesion_id": "T1", "targets-0-organ": "liver", "targets-0-diameter_mm": "50",
        "nontargets-0-lesion_id": "NT1", "nontargets-0-organ": "bone",
    }))
    assert response.status_code == 302
    assert TargetLesion.objects.get(patient=on_treatment).diameter_mm == Decimal("50")
    page = client.get(url).content.decode()
    assert "Baseline sum of diameters: 50.0 mm" in page


def test_visit_page_links_the_tumour_assessment(client, with_baseline, coordinator):
    client.force_login(coordinator)
    page = client.get(reverse("visit-detail", args=[with_baseline.subject_id, "M3"]))
    assert assessment_url(with_baseline, "M3") in page.content.decode()


def test_assessment_page_shows_the_working(client, with_baseline, coordinator):
    client.force_login(coordinator)
    m3 = visit(with_baseline, "M3")
    url = assessment_url(with_baseline, "M3")
    assert client.get(url).status_code == 200
    response = client.post(url, {"date": m3.target_date.isoformat(), "new_lesions": "NO",
                                 "target_T1": "35", "nontarget_NT1": "PRESENT",
                                 "investigator_response": "SD"})
    assert response.status_code == 302, response.context["form"].errors
    page = client.get(url).content.decode()
    assert "-15.0 mm (-30.0 %)" in page
    assert "disagrees with the computed PR" in page
    casebook = client.get(reverse("patient-detail", args=[with_baseline.subject_id]))
    body = casebook.content.decode()
    assert "Tumour assessments" in body and "disagrees" in body


def test_bad_measurement_is_refused_on_its_field(client, with_baseline, coordinator):
    client.force_login(coordinator)
    m3 = visit(with_baseline, "M3")
    response = client.post(assessment_url(with_baseline, "M3"), {
        "date": m3.target_date.isoformat(), "new_lesions": "NO", "target_T1": "big",
        "nontarget_NT1": "PRESENT"})
    assert response.status_code == 200
    assert "target_T1" in response.context["form"].errors
    assert not TumourAssessment.objects.exists()


def test_visits_without_the_form_answer_404(client, with_baseline, coordinator):
    client.force_login(coordinator)
    assert client.get(assessment_url(with_baseline, "BL")).status_code == 404


@pytest.mark.parametrize("role", READERS)
def test_readers_read_only(client, world, with_baseline, role):
    client.force_login(world.users[role])
    for url in (assessment_url(with_baseline, "M3"),
                reverse("tumour-baseline", args=[with_baseline.subject_id])):
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["form"] is None
        assert client.post(url, {"date": "2026-04-01"}).status_code == 403


def _assessments(patient, coordinator, count):
    m3 = visit(patient, "M3")
    m3.patient = patient
    services.assessment_record(actor=coordinator, patient=patient, visit=m3,
                               date=BASELINE_DAY + timedelta(days=20),
                               measurements={"T1": Decimal("45")},
                               statuses={"NT1": "PRESENT"}, new_lesions="NO")
    patient = Patient.objects.select_related("site__study", "enrolment").get(pk=patient.pk)
    for i in range(1, count):
        services.assessment_record(actor=coordinator, patient=patient, visit=None,
                                   date=BASELINE_DAY + timedelta(days=20 + i),
                                   measurements={"T1": Decimal("45")},
                                   statuses={"NT1": "PRESENT"}, new_lesions="NO")


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_assessment_page_queries_do_not_grow(client, world, with_baseline, coordinator):
    client.force_login(coordinator)
    url = assessment_url(with_baseline, "M3")
    _assessments(with_baseline, coordinator, 1)
    client.get(url)
    one = _queries(client, url)
    patient = Patient.objects.select_related("site__study", "enrolment").get(
        pk=with_baseline.pk)
    for i in range(1, 25):
        services.assessment_record(actor=coordinator, patient=patient, visit=None,
                                   date=BASELINE_DAY + timedelta(days=20 + i),
                                   measurements={"T1": Decimal("45")},
                                   statuses={"NT1": "PRESENT"}, new_lesions="NO")
    assert TumourAssessment.objects.count() == 25
    assert _queries(client, url) == one


def test_a_reported_response_is_shown_as_reported(client, with_baseline, coordinator):
    m3 = visit(with_baseline, "M3")
    m3.patient = with_baseline
    services.assessment_record(actor=coordinator, patient=with_baseline, visit=m3,
                               date=m3.target_date, reported_response="PR")
    client.force_login(coordinator)
    response = client.get(assessment_url(with_baseline, "M3"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "reported: PR" in page
    assert "No lesion readings" in page


# --- correcting and voiding on the page; responses reported from elsewhere ------------------


def _enter_m3(client, patient, mm="35"):
    m3 = visit(patient, "M3")
    response = client.post(assessment_url(patient, "M3"), {
        "date": m3.target_date.isoformat(), "new_lesions": "NO", "target_T1": mm,
        "nontarget_NT1": "PRESENT"})
    assert response.status_code == 302, response.context["form"].errors
    return TumourAssessment.objects.active().get(visit=m3)


def test_a_correction_on_the_page_needs_a_reason_and_recomputes(client, with_baseline,
                                                                 coordinator):
    client.force_login(coordinator)
    assessment = _enter_m3(client, with_baseline)
    url = assessment_url(with_baseline, "M3")
    page = client.get(url)
    assert page.context["correction"]["target_T1"].value() == Decimal("35.0")
    post = {"action": "correct", "correct-version": assessment.version,
            "correct-target_T1": "45", "correct-nontarget_NT1": "PRESENT",
            "correct-new_lesions": "NO", "correct-reason": ""}
    response = client.post(url, post)
    assert response.status_code == 200
    assert "reason" in response.context["correction"].errors
    response = client.post(url, {**post, "correct-reason": "Misread the report"})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.computed_response == "SD"
    assert assessment.history.order_by("-history_id").first().history_user == coordinator
    # A second tab still holding the old version gets the conflict panel, nothing saved.
    response = client.post(url, {**post, "correct-target_T1": "20",
                                 "correct-reason": "Other tab"})
    assert response.status_code == 200
    assert response.context["conflict"] is not None
    assert "Changed by someone else meanwhile" in response.content.decode()
    assert assessment.measurements.get().diameter_mm == Decimal("45")


def test_voiding_on_the_page_frees_the_visit_for_a_new_entry(client, with_baseline,
                                                            coordinator):
    client.force_login(coordinator)
    assessment = _enter_m3(client, with_baseline)
    url = assessment_url(with_baseline, "M3")
    response = client.post(url, {"action": "void", "void-version": assessment.version,
                                 "void-reason": ""})
    assert response.status_code == 200 and "reason" in response.context["void"].errors
    response = client.post(url, {"action": "void", "void-version": assessment.version,
                                 "void-reason": "Scan of another patient"})
    assert response.status_code == 302
    page = client.get(url)
    assert page.context["assessment"] is None and page.context["form"] is not None
    again = _enter_m3(client, with_baseline, mm="40")
    assert again.pk != assessment.pk
    assessment.refresh_from_db()
    assert assessment.is_voided and assessment.void_reason == "Scan of another patient"


@pytest.mark.parametrize("role", READERS)
def test_readers_get_no_correction_or_void_forms(client, with_baseline, coordinator, role):
    from tests.factories import UserFactory, grant

    client.force_login(coordinator)
    assessment = _enter_m3(client, with_baseline)
    site = with_baseline.site
    reader = (grant(UserFactory(), role, site=site) if role == Role.MONITOR
              else grant(UserFactory(), role, study=site.study))
    client.force_login(reader)
    url = assessment_url(with_baseline, "M3")
    page = client.get(url)
    assert page.status_code == 200 and page.context["correction"] is None
    response = client.post(url, {"action": "void", "void-version": assessment.version,
                                 "void-reason": "no"})
    assert response.status_code == 403
    assert not TumourAssessment.objects.get(pk=assessment.pk).is_voided


def test_a_real_world_study_offers_a_reported_response_instead_of_readings(client, world):
    from tests.factories import enrol, site_coordinator

    coordinator = site_coordinator(world.patient_b1.site)
    patient = enrol(world.patient_b1, coordinator=coordinator)
    day1 = patient.enrolment.day1
    services.baseline_record(actor=coordinator, patient=patient, date=day1,
                             targets=[target("T1", "liver", "50")],
                             nontargets=[{"lesion_id": "NT1", "organ": "bone"}])
    first = [v for v in patient.visits.order_by("target_date")
             if "tumour_assessment" in v.forms and v.target_date > day1][0]
    client.force_login(coordinator)
    url = assessment_url(patient, first.code)
    page = client.get(url)
    assert "reported_response" in page.context["form"].fields
    when = min(first.target_date, first.window_end).isoformat()
    response = client.post(url, {"date": when, "reported_response": "PR",
                                 "target_T1": "30"})
    assert response.status_code == 200
    assert "target_T1" in response.context["form"].errors
    response = client.post(url, {"date": when, "reported_response": "PR"})
    assert response.status_code == 302, response.context["form"].errors
    saved = TumourAssessment.objects.get(visit=first)
    assert (saved.reported_response, saved.computed_response) == ("PR", "PR")
    assert not saved.measurements.exists()


def test_a_trial_with_central_recist_offers_no_reported_response(client, with_baseline,
                                                                 coordinator):
    client.force_login(coordinator)
    page = client.get(assessment_url(with_baseline, "M3"))
    assert "reported_response" not in page.context["form"].fields
