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
