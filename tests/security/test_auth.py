"""Login, lockout, CSRF, session rotation and idle timeout."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture
def user(db):
    return UserFactory(username="rana")


def login(client, username, password, ip="10.1.1.1"):
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=ip)


def test_login_and_logout(client, user):
    response = login(client, "rana", PASSWORD)
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_shows_a_clear_message(client, user):
    response = login(client, "rana", "wrong")
    assert response.status_code == 200
    assert "Wrong username or password" in response.content.decode()


def test_five_wrong_passwords_lock_the_account_for_that_ip(client, user):
    for _ in range(5):
        login(client, "rana", "wrong")
    locked = login(client, "rana", PASSWORD)
    assert locked.status_code == 429
    assert "Account locked" in locked.content.decode()
    assert "30 minutes" in locked.content.decode()
    # The lock is keyed on username and IP: the same user from another computer may log in.
    other = Client()
    assert login(other, "rana", PASSWORD, ip="10.2.2.2").status_code == 302


def test_four_wrong_passwords_do_not_lock(client, user):
    for _ in range(4):
        login(client, "rana", "wrong")
    assert login(client, "rana", PASSWORD).status_code == 302


def test_csrf_is_enforced_on_forms(user):
    client = Client(enforce_csrf_checks=True)
    refused = client.post(reverse("login"), {"username": "rana", "password": PASSWORD})
    assert refused.status_code == 403
    page = client.get(reverse("login"))
    token = page.cookies["csrftoken"].value
    accepted = client.post(reverse("login"), {"username": "rana", "password": PASSWORD,
                                              "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302


def test_csrf_is_enforced_on_data_entry(world):
    from trialsite.models import Role

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[Role.COORDINATOR])
    response = client.post(reverse("patient-void", args=[world.patient_a1.subject_id]),
                           {"version": 1, "reason": "no token"})
    assert response.status_code == 403
    world.patient_a1.refresh_from_db()
    assert not world.patient_a1.is_voided


def test_session_key_is_rotated_at_login(client, user):
    client.get(reverse("login"))
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    login(client, "rana", PASSWORD)
    assert client.session.session_key != before


def test_sessions_expire_after_thirty_idle_minutes(client, user):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    login(client, "rana", PASSWORD)
    assert client.session.get_expiry_age() == 30 * 60
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" or int(cookie["max-age"]) <= 30 * 60


def test_password_validators_refuse_weak_passwords(user):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("password123", "12345678901", "rana"):
        with pytest.raises(ValidationError):
            validate_password(weak, user)
