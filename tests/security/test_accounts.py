"""Who acted stays who acted: signatures keep the printed name, account changes are audited,
an administrator's password reset cannot be used to act as the user, sessions end."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from eligibility import services as eligibility_services
from tests.factories import UserFactory, screen
from trialsite.accounts import LOGIN_AT_KEY
from trialsite.models import Role, User
from trialsite.monitoring import services as monitoring_services

PASSWORD = "correct-horse-battery"


@pytest.fixture
def admin_client(db):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client


def test_signatures_keep_the_printed_name_and_meaning_of_signing_after_a_rename(
        world, coordinator, client):
    investigator = world.users[Role.INVESTIGATOR]
    investigator.first_name, investigator.last_name = "Amina", "Haddad"
    investigator._change_reason = "setup"
    investigator.save()
    screening = screen(world.patient_a1, actor=coordinator)
    eligibility_services.screening_confirm(actor=investigator, screening=screening,
                                           password=PASSWORD, expected_version=1)
    monitoring_services.casebook_sign(actor=investigator, patient=world.patient_a1,
                                      password=PASSWORD)
    investigator.first_name, investigator.last_name = "Someone", "Else"
    investigator._change_reason = "Renamed"
    investigator.save()

    client.force_login(world.users[Role.MONITOR])
    subject = world.patient_a1.subject_id
    screening_page = client.get(f"/patients/{subject}/screening/").content.decode()
    assert "Signed by <strong>Amina Haddad</strong>" in screening_page
    assert "I confirm this patient meets all eligibility criteria" in screening_page
    trail_page = client.get(f"/monitoring/patients/{subject}/").content.decode()
    assert "Signed by <strong>Amina Haddad</strong>" in trail_page


def test_renaming_an_account_in_the_admin_needs_a_reason_kept_in_its_history(admin_client):
    user = UserFactory(username="inv1", first_name="Amina", last_name="Haddad")
    form = {"username": "inv1", "first_name": "Amina", "last_name": "Benali",
            "email": "", "is_active": "on", "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00"}
    refused = admin_client.post(f"/admin/trialsite/user/{user.pk}/change/", form)
    assert refused.status_code == 200
    assert User.objects.get(pk=user.pk).last_name == "Haddad"

    saved = admin_client.post(f"/admin/trialsite/user/{user.pk}/change/",
                              {**form, "reason_for_change": "Married name"})
    assert saved.status_code == 302
    latest = User.objects.get(pk=user.pk).history.latest()
    assert (latest.last_name, latest.history_change_reason) == ("Benali", "Married name")
    assert latest.history_user.username == "root"


def test_an_admin_reset_is_audited_and_the_user_must_set_their_own_password_first(
        admin_client, client, world):
    investigator = world.users[Role.INVESTIGATOR]
    url = f"/admin/trialsite/user/{investigator.pk}/password/"
    new = {"password1": "Temporary-pass-2026", "password2": "Temporary-pass-2026",
           "usable_password": "true", "set-password": "1"}
    assert admin_client.post(url, new).status_code == 200  # no reason: refused
    investigator.refresh_from_db()
    assert investigator.check_password(PASSWORD)

    assert admin_client.post(url, {**new, "reason_for_reset": "Forgotten (ticket 42)"}
                             ).status_code == 302
    investigator.refresh_from_db()
    assert investigator.password_change_required
    latest = investigator.history.latest()
    assert latest.history_change_reason == (
        "Password reset by an administrator: Forgotten (ticket 42)")
    assert latest.history_user.username == "root"

    # Whoever logs in with the administrator's password can do nothing but change it.
    login = client.post("/login/", {"username": investigator.username,
                                    "password": "Temporary-pass-2026"})
    assert login.status_code == 302
    subject = world.patient_a1.subject_id
    for path in ("/", f"/patients/{subject}/", f"/monitoring/patients/{subject}/sign/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url == "/password/", path
    assert client.get("/api/v1/patients/").status_code == 403
    changed = client.post("/password/", {
        "old_password": "Temporary-pass-2026", "new_password1": "Only-mine-2026!x",
        "new_password2": "Only-mine-2026!x"})
    assert changed.status_code == 302
    investigator.refresh_from_db()
    assert not investigator.password_change_required
    assert investigator.history.latest().history_change_reason == "Password changed by the user"
    assert client.get("/").status_code == 200  # still logged in, now free


def test_a_user_changes_their_own_password_after_giving_the_current_one(client, world):
    coordinator = world.users[Role.COORDINATOR]
    client.force_login(coordinator)
    wrong = client.post("/password/", {"old_password": "nope", "new_password1": "Fresh-pass-99!",
                                       "new_password2": "Fresh-pass-99!"})
    assert wrong.status_code == 200 and "old_password" in wrong.context["form"].errors
    client.post("/password/", {"old_password": PASSWORD, "new_password1": "Fresh-pass-99!",
                               "new_password2": "Fresh-pass-99!"})
    coordinator.refresh_from_db()
    assert coordinator.check_password("Fresh-pass-99!")


def test_a_session_ends_at_its_absolute_lifetime_however_active(client, world, settings):
    settings.SESSION_ABSOLUTE_HOURS = 12
    client.force_login(world.users[Role.COORDINATOR])
    assert client.get("/").status_code == 200
    session = client.session
    session[LOGIN_AT_KEY] = int(time.time()) - 12 * 3600 - 1
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert SESSION_KEY not in client.session
