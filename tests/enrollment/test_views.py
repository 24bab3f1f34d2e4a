"""The patient pages as coordinators, monitors and sponsors use them."""

from datetime import date

import pytest
from django.urls import reverse

from enrollment.models import Patient
from tests.factories import SiteFactory, UserFactory, enrol, grant
from trialsite.models import Role


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def edit_payload(patient, **overrides):
    data = {
        "version": patient.version, "sex": patient.sex,
        "birth_date": patient.birth_date.isoformat(),
        "consent_date": patient.consent_date.isoformat(),
        "consent_version": patient.consent_version, "reason": "Source document check",
    }
    data.update(overrides)
    return data


def test_register_assigns_subject_id_and_opens_the_casebook(coordinator_client, world):
    response = coordinator_client.post(reverse("patient-register"), {
        "site": world.site_a1.pk, "sex": "F", "birth_date": "1966-04-02",
        "consent_date": "2026-03-01", "consent_version": "1.1",
    }, follow=True)
    assert response.redirect_chain[-1][0] == reverse("patient-detail", args=["AONE-002"])
    page = response.content.decode()
    assert "AONE-002" in page and "Screening" in page and "created" in page


def test_register_form_shows_errors_at_the_field(coordinator_client, world):
    response = coordinator_client.post(reverse("patient-register"), {
        "site": world.site_a1.pk, "sex": "F", "birth_date": "1966-04-02",
        "consent_date": "1960-01-01", "consent_version": "1.0",
    })
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["consent_date"] == ["Consent cannot be dated before birth."]
    assert Patient.objects.filter(site=world.site_a1).count() == 1


def test_register_refuses_a_site_of_someone_else(coordinator_client, world):
    response = coordinator_client.post(reverse("patient-register"), {
        "site": world.site_a2.pk, "sex": "F", "birth_date": "1966-04-02",
        "consent_date": "2026-03-01", "consent_version": "1.0",
    })
    assert response.status_code == 200
    assert "site" in response.context["form"].errors
    assert Patient.objects.filter(site=world.site_a2).count() == 1


def test_edit_demands_a_reason(coordinator_client, world):
    patient = world.patient_a1
    url = reverse("patient-edit", args=[patient.subject_id])
    response = coordinator_client.post(url, edit_payload(patient, reason="", consent_version="1.1"))
    assert response.context["form"].errors["reason"] == ["This field is required."]
    assert Patient.objects.get(pk=patient.pk).consent_version == "1.0"


def test_edit_is_shown_in_history_with_who_when_what_and_why(coordinator_client, world,
                                                            coordinator):
    patient = world.patient_a1
    url = reverse("patient-edit", args=[patient.subject_id])
    coordinator_client.post(url, edit_payload(patient, consent_version="1.1",
                                              reason="Signed the amended form"))
    page = coordinator_client.get(reverse("patient-detail", args=[patient.subject_id]))
    html = page.content.decode()
    [latest, created] = page.context["history"]
    assert latest.action == "changed" and latest.reason == "Signed the amended form"
    assert [(c.label, c.old, c.new) for c in latest.changes] == [
        ("Consent form version", "1.0", "1.1")
    ]
    assert latest.user_label == f"{coordinator.get_full_name()} ({coordinator.username})"
    assert latest.time_zone == "Asia/Amman"
    assert latest.at_local.utcoffset() != latest.at_utc.utcoffset()
    assert "Signed the amended form" in html and "Asia/Amman" in html
    assert "<del>1.0</del> → <ins>1.1</ins>" in html


def test_second_save_from_same_version_gets_a_conflict_naming_the_change(client, world,
                                                                        coordinator):
    patient = world.patient_a1
    other = grant(UserFactory(username="second-coordinator", first_name="Sami",
                              last_name="Aziz"), Role.COORDINATOR, site=world.site_a1)
    url = reverse("patient-edit", args=[patient.subject_id])
    stale = edit_payload(patient)  # both open the form at version 1

    client.force_login(other)
    client.post(url, {**stale, "birth_date": "1970-05-18", "reason": "ID card check"})

    client.force_login(coordinator)
    response = client.post(url, {**stale, "consent_version": "1.1", "reason": "Amended form"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sami Aziz (second-coordinator)" in html
    assert "<del>1970-05-17</del> → <ins>1970-05-18</ins>" in html
    form = response.context["form"]
    assert form.data["version"] == "2" and form.data["consent_version"] == "1.1"
    current = Patient.objects.get(pk=patient.pk)
    assert (current.birth_date, current.consent_version) == (date(1970, 5, 18), "1.0")

    # Re-applying on the current version: the user's change lands, the first one stays.
    resubmit = {k: v for k, v in form.data.items() if k != "csrfmiddlewaretoken"}
    resubmit["birth_date"] = "1970-05-18"
    client.post(url, resubmit)
    current = Patient.objects.get(pk=patient.pk)
    assert (current.birth_date, current.consent_version, current.version) == (
        date(1970, 5, 18), "1.1", 3)


def test_void_requires_a_reason_and_leaves_the_record_visible_to_monitors(client, world,
                                                                          coordinator):
    patient = world.patient_a1
    client.force_login(coordinator)
    url = reverse("patient-void", args=[patient.subject_id])
    response = client.post(url, {"version": 1, "reason": ""})
    assert "reason" in response.context["form"].errors
    client.post(url, {"version": 1, "reason": "Registered at the wrong site"})
    client.force_login(world.users[Role.MONITOR])
    page = client.get(reverse("patient-detail", args=[patient.subject_id]))
    assert page.status_code == 200
    assert "Registered at the wrong site" in page.content.decode()
    listing = client.get(reverse("patient-list") + "?voided=1")
    assert patient.subject_id in listing.content.decode()
    assert patient.subject_id not in client.get(reverse("patient-list")).content.decode()


def test_status_change_page_offers_only_allowed_plain_moves(coordinator_client, world,
                                                            coordinator):
    url = reverse("patient-status", args=[world.patient_a1.subject_id])
    form = coordinator_client.get(url).context["form"]
    assert [c[0] for c in form.fields["status"].choices] == ["off_study"]
    patient = enrol(world.patient_a1, coordinator=coordinator)
    form = coordinator_client.get(url).context["form"]
    assert [c[0] for c in form.fields["status"].choices] == ["on_treatment", "off_study"]
    coordinator_client.post(url, {"version": patient.version, "status": "on_treatment",
                                  "reason": "First dose"})
    assert Patient.objects.get(pk=world.patient_a1.pk).status == "on_treatment"


def test_withdrawal_page_records_it(coordinator_client, world):
    url = reverse("patient-withdraw", args=[world.patient_a1.subject_id])
    coordinator_client.post(url, {"version": 1, "withdrawal_date": "2026-02-03",
                                  "reason": "Moved abroad"})
    p = Patient.objects.get(pk=world.patient_a1.pk)
    assert (p.status, p.withdrawal_date) == ("off_study", date(2026, 2, 3))


@pytest.mark.parametrize("role", [Role.MONITOR, Role.SPONSOR, Role.DATA_MANAGER])
def test_readers_cannot_open_change_pages(client, world, role):
    client.force_login(world.users[role])
    for name in ("patient-edit", "patient-status", "patient-withdraw", "patient-void"):
        response = client.get(reverse(name, args=[world.patient_a1.subject_id]))
        assert response.status_code == 403, name


def test_home_fits_each_role(client, world):
    expected = {
        Role.COORDINATOR: ("My sites&#x27; patients", "AONE-001"),
        Role.INVESTIGATOR: ("My sites&#x27; patients", "AONE-001"),
        Role.MONITOR: ("Sites I monitor", "AONE"),
        Role.DATA_MANAGER: ("Study overview", "ICRG0201"),
        Role.SPONSOR: ("Study overview", "ICRG0201"),
        Role.CENTRAL_LAB: ("Central laboratory", "never clinical data"),
    }
    for role, (title, content) in expected.items():
        client.force_login(world.users[role])
        html = client.get(reverse("home")).content.decode()
        assert title in html and content in html, role
    client.force_login(world.users[Role.CENTRAL_LAB])
    assert "AONE-001" not in client.get(reverse("home")).content.decode()


def test_study_overview_counts_enrolment_against_target(client, world, coordinator):
    enrol(world.patient_a1, coordinator=coordinator)
    client.force_login(world.users[Role.SPONSOR])
    response = client.get(reverse("study-overview", args=["ICRG0201"]))
    totals = response.context["totals"]
    assert totals["n_total"] == 2 and totals["n_enrolled"] == 1 and totals["n_screening"] == 1


def test_study_overview_shows_the_cut_off_and_the_schedule_assumptions_as_such(client, world):
    client.force_login(world.users[Role.SPONSOR])
    page = client.get(reverse("study-overview", args=["ICRG0201"])).content.decode()
    assert "Schedule values not in the registry text" in page
    assert "not set: follow-up continues until death or withdrawal" in page
    assert "Visit windows" in page and "2026-06-30" in page
    assert "the protocol" not in page.lower()


def test_patient_list_filters_by_site_and_status(client, world):
    SiteFactory(study=world.study_a)
    client.force_login(world.users[Role.DATA_MANAGER])
    listing = client.get(reverse("patient-list") + "?site=ATWO")
    assert [p.subject_id for p in listing.context["patients"]] == ["ATWO-001"]
    listing = client.get(reverse("patient-list") + "?status=enrolled")
    assert list(listing.context["patients"]) == []


def test_history_shows_the_site_local_time_beside_utc(coordinator_client, world):
    """Amman is UTC+3: the local column is three hours after the UTC one."""
    import re
    from datetime import datetime, timedelta

    page = coordinator_client.get(reverse("patient-detail", args=[world.patient_a1.subject_id]))
    html = page.content.decode()
    utc_text = re.search(r'<time datetime="[^"]+">([0-9-]+ [0-9:]+)</time>', html).group(1)
    local_text = re.search(r'<td class="local-time">([0-9-]+ [0-9:]+) <small>Asia/Amman', html
                           ).group(1)
    utc = datetime.strptime(utc_text[:16], "%Y-%m-%d %H:%M")
    assert datetime.strptime(local_text, "%Y-%m-%d %H:%M") == utc + timedelta(hours=3)


def test_an_enrolled_patient_who_left_the_study_still_counts_as_enrolled(
        client, world, coordinator):
    from enrollment.domain.lifecycle import PatientStatus
    from trialsite.audit import audited_save
    from trialsite.services import system_user

    patient = enrol(world.patient_a1, coordinator=coordinator)
    patient.status = PatientStatus.OFF_STUDY
    audited_save(patient, actor=system_user(), reason="Withdrew consent", changed={"status"})
    client.force_login(world.users[Role.SPONSOR])
    response = client.get(reverse("study-overview", args=["ICRG0201"]))
    totals = response.context["totals"]
    # One definition of enrolled (enrollment.selectors.enrolled_q), whatever the status since.
    assert (totals["n_ever_enrolled"], totals["n_enrolled"], totals["n_off_study"]) == (1, 0, 1)
    assert "Enrolled (all)" in response.content.decode()
