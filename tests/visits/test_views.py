"""Visit pages: enrolment preview, casebook timeline, withdrawal, re-dating, calendar, home."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eligibility import services as eligibility_services
from enrollment.models import Enrolment
from tests.factories import enrol, register_patient, screen
from trialsite.models import Role
from visits.models import Visit


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def test_enrol_page_previews_the_schedule_then_creates_it(coordinator_client, world,
                                                          coordinator):
    screening = screen(world.patient_a1, actor=coordinator)
    screening = eligibility_services.screening_confirm(
        actor=world.users[Role.INVESTIGATOR], screening=screening,
        password="correct-horse-battery")
    url = reverse("enrol", args=[world.patient_a1.subject_id])
    page = coordinator_client.get(url)
    preview = [v.code for v in page.context["preview"]]
    assert preview[:5] == ["SCR", "BL", "M1", "M2", "M3"]
    coordinator_client.post(url, {"version": screening.version, "cdk46i": "PALBOCICLIB",
                                  "cdk46i_start_dose_mg": "125", "endocrine": "LETROZOLE"})
    created = list(Visit.objects.filter(patient=world.patient_a1).order_by("target_date")
                   .values_list("code", flat=True))
    assert created == preview


def test_casebook_timeline_shows_windows_and_statuses(coordinator_client, world, coordinator):
    patient = enrol(world.patient_a1, coordinator=coordinator)
    html = coordinator_client.get(reverse("patient-detail", args=[patient.subject_id])
                                  ).content.decode()
    assert 'id="panel-visits"' in html
    bl = Visit.objects.get(patient=patient, code="BL")
    assert f"{bl.window_start:%Y-%m-%d} – {bl.window_end:%Y-%m-%d}" in html
    assert "vstatus-completed" in html  # the screening visit


def test_withdrawal_page_cancels_later_visits(coordinator_client, world, coordinator):
    patient = enrol(world.patient_a1, coordinator=coordinator)
    day1 = Enrolment.objects.get(patient=patient).day1
    url = reverse("patient-withdraw", args=[patient.subject_id])
    withdrawal = min(date.today(), day1 + timedelta(days=10))
    coordinator_client.post(url, {"version": patient.version,
                                  "withdrawal_date": withdrawal.isoformat(),
                                  "reason": "Patient decision"})
    assert Visit.objects.filter(patient=patient, status="cancelled").exists()
    assert not Visit.objects.filter(patient=patient, status="planned",
                                    target_date__gt=withdrawal).exists()


def test_redate_page_needs_a_reason_and_moves_visits(coordinator_client, world, coordinator):
    patient = enrol(world.patient_a1, coordinator=coordinator)
    enrolment = Enrolment.objects.get(patient=patient)
    url = reverse("enrolment-redate", args=[patient.subject_id])
    new_day1 = enrolment.day1 + timedelta(days=3)
    response = coordinator_client.post(url, {"version": enrolment.version,
                                             "new_day1": new_day1.isoformat(), "reason": ""})
    assert "reason" in response.context["form"].errors
    coordinator_client.post(url, {"version": enrolment.version,
                                  "new_day1": new_day1.isoformat(), "reason": "Started late"})
    assert Visit.objects.get(patient=patient, code="M1").target_date == new_day1 + timedelta(
        days=28)


def test_site_calendar_shows_the_month_of_visits(client, world, coordinator):
    patient = enrol(world.patient_a1, coordinator=coordinator)
    m1 = Visit.objects.get(patient=patient, code="M1")
    client.force_login(world.users[Role.MONITOR])
    page = client.get(reverse("site-calendar", args=["AONE"]),
                      {"month": f"{m1.target_date:%Y-%m}"})
    assert page.status_code == 200
    html = page.content.decode()
    assert f"{patient.subject_id} M1" in html
    assert client.get(reverse("site-calendar", args=["AONE"]),
                      {"month": "13-2026"}).status_code == 404


def test_coordinator_home_lists_this_weeks_visits(coordinator_client, world, coordinator):
    patient = enrol(world.patient_a1, coordinator=coordinator,
                    today=date.today() - timedelta(days=60))
    html = coordinator_client.get(reverse("home")).content.decode()
    assert "This week&#x27;s visits" in html
    assert 'id="week-overdue"' in html and 'id="week-open"' in html
    assert patient.subject_id in html or "Nothing." in html


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_casebook_and_home_cost_the_same_for_1_and_25_visits(coordinator_client, world,
                                                             coordinator):
    from trialsite.services import system_user
    from visits import services

    patient = enrol(world.patient_a1, coordinator=coordinator)
    urls = [reverse("patient-detail", args=[patient.subject_id]), reverse("home")]
    before = [_count(coordinator_client, u) for u in urls]
    services.schedules_extend(actor=system_user(), today=date.today() + timedelta(days=5 * 365))
    for _ in range(3):
        enrol(register_patient(world.site_a1, actor=coordinator), coordinator=coordinator)
    assert Visit.objects.filter(patient=patient).count() >= 25
    assert [_count(coordinator_client, u) for u in urls] == before
    # + the samples panel and the casebook signature, one query each; 3 of them save the
    # session (one UPDATE in production, in a savepoint under the test transaction).
    assert before[0] <= 13


def test_enrol_page_refuses_an_aromatase_inhibitor_without_ovarian_suppression(
        coordinator_client, world, coordinator):
    premenopausal = {"menopausal_status": "PRE", "ovarian_suppression": "LHRH"}
    screening = screen(world.patient_a1, actor=coordinator, **premenopausal)
    screening = eligibility_services.screening_confirm(
        actor=world.users[Role.INVESTIGATOR], screening=screening,
        password="correct-horse-battery")
    url = reverse("enrol", args=[world.patient_a1.subject_id])
    data = {"version": screening.version, "cdk46i": "PALBOCICLIB",
            "cdk46i_start_dose_mg": "125", "endocrine": "LETROZOLE"}
    response = coordinator_client.post(url, data)
    errors = response.context["form"].errors
    assert "only with ovarian function suppression" in errors["ovarian_suppression"][0]
    assert not Enrolment.objects.filter(patient=world.patient_a1).exists()
    coordinator_client.post(url, {**data, "ovarian_suppression": "on"})
    assert Enrolment.objects.get(patient=world.patient_a1).ovarian_suppression is True
