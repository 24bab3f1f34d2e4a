"""E-signatures: wrong passwords count toward the login lockout and are logged; a replayed
signature POST does not sign twice."""

import logging

from django.test import Client
from django.urls import reverse

from trialsite.models import Role
from trialsite.monitoring.models import CasebookSignature

PASSWORD = "correct-horse-battery"
IP = "10.9.9.9"


def sign(client, patient, password):
    return client.post(reverse("casebook-sign", args=[patient.subject_id]),
                       {"password": password}, REMOTE_ADDR=IP)


def test_wrong_signature_passwords_lock_the_login_too_and_are_logged(world, client, caplog):
    investigator = world.users[Role.INVESTIGATOR]
    client.force_login(investigator)
    with caplog.at_level(logging.WARNING, logger="trialsite.esign"):
        for _ in range(4):
            refused = sign(client, world.patient_a1, "guess")
            assert refused.status_code == 200
            assert "The password is not correct" in refused.content.decode()
        fifth = sign(client, world.patient_a1, "guess")
    assert fifth.status_code == 429  # the login's lockout page
    assert caplog.text.count(f"wrong password for {investigator.username}") == 5
    # Now even the right password signs nothing, and the login from that address is locked.
    locked = sign(client, world.patient_a1, PASSWORD)
    assert locked.status_code == 429 or "Too many wrong passwords" in locked.content.decode()
    assert not CasebookSignature.objects.exists()
    login = Client().post(reverse("login"), {"username": investigator.username,
                                             "password": PASSWORD}, REMOTE_ADDR=IP)
    assert login.status_code == 429


def test_a_replayed_signature_post_signs_once(world, client):
    client.force_login(world.users[Role.INVESTIGATOR])
    first = sign(client, world.patient_a1, PASSWORD)
    again = sign(client, world.patient_a1, PASSWORD)
    assert first.status_code == again.status_code == 302
    assert CasebookSignature.objects.count() == 1
