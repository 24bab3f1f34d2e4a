"""API tokens have a maximum lifetime; refused token calls are logged (never with the key)."""

import logging
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from trialsite.exports import services
from trialsite.models import Role


def test_every_new_token_expires_within_the_longest_lifetime(world, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    user = world.users[Role.SPONSOR]
    token, _ = services.token_create(actor=user, name="SAS pull")
    assert token.expires_at <= timezone.now() + timedelta(days=30, minutes=1)
    with pytest.raises(ValidationError, match="at most 30 days"):
        services.token_create(actor=user, name="forever",
                              expires_at=timezone.now() + timedelta(days=365))


def test_an_old_token_without_expiry_stops_working(world, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    token, key = services.token_create(actor=world.users[Role.SPONSOR], name="legacy")
    from django.db import connection

    with connection.cursor() as cursor:  # a token made before lifetimes were capped
        cursor.execute("UPDATE exports_apitoken SET expires_at = NULL, created_at = %s "
                       "WHERE id = %s", [timezone.now() - timedelta(days=40), token.pk])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/exports/")
    assert response.status_code == 401
    assert "longest lifetime" in response.json()["detail"]


def test_refused_token_calls_are_logged_without_the_key(world, caplog):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key-0123456789")
    with caplog.at_level(logging.WARNING, logger="trialsite.api.tokens"):
        assert client.get("/api/v1/exports/", REMOTE_ADDR="10.7.7.7").status_code == 401
    assert "API token refused (Invalid token.): GET /api/v1/exports/ from 10.7.7.7" in caplog.text
    assert "not-a-real-key-0123456789" not in caplog.text
