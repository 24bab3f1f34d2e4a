"""API tokens: shown once, stored only as a hash, expiry, revocation, every call logged."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from trialsite.exports import services
from trialsite.exports.models import ApiRequest, ApiToken
from trialsite.exports.tokens import hash_key
from trialsite.models import Role


def call(key, url="/api/v1/exports/"):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get(url)


def test_the_key_is_stored_only_as_its_hash(world):
    sponsor = world.users[Role.SPONSOR]
    token, key = services.token_create(actor=sponsor, name="SAS pull")
    stored = ApiToken.objects.values().get(pk=token.pk)
    assert key not in {str(v) for v in stored.values()}
    assert stored["key_hash"] == hash_key(key) and stored["prefix"] == key[:12]
    history = ApiToken.history.values().get(id=token.pk)
    assert key not in {str(v) for v in history.values()}
    assert call(key).status_code == 200


def test_a_token_stops_working_when_revoked(world):
    sponsor = world.users[Role.SPONSOR]
    token, key = services.token_create(actor=sponsor, name="nightly")
    services.token_revoke(actor=sponsor, token=token)
    response = call(key)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    assert ApiToken.history.filter(id=token.pk).count() == 2  # created, then revoked
    with pytest.raises(ValidationError):
        services.token_revoke(actor=sponsor, token=token)


def test_a_token_stops_working_at_its_expiry(world):
    sponsor = world.users[Role.SPONSOR]
    token, key = services.token_create(actor=sponsor, name="one day",
                                       expires_at=timezone.now() + timedelta(hours=1))
    assert call(key).status_code == 200
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token._change_reason = "test: let it expire"
    token._history_user = sponsor
    token.save()
    response = call(key)
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    with pytest.raises(ValidationError):
        services.token_create(actor=sponsor, name="past",
                              expires_at=timezone.now() - timedelta(days=1))


def test_a_wrong_key_is_refused(world):
    services.token_create(actor=world.users[Role.SPONSOR], name="x")
    assert call("tsk_not-a-real-key").status_code == 401


def test_every_api_call_is_logged_with_the_tokens_user(world):
    sponsor = world.users[Role.SPONSOR]
    token, key = services.token_create(actor=sponsor, name="R script")
    call(key, "/api/v1/exports/?x=1")
    call(key, "/api/v1/exports/subjects.csv")
    logged = list(ApiRequest.objects.filter(token=token).order_by("id").values_list(
        "user__username", "method", "path", "query", "status_code"))
    assert logged == [
        (sponsor.username, "GET", "/api/v1/exports/", "x=1", 200),
        (sponsor.username, "GET", "/api/v1/exports/subjects.csv", "", 200),
    ]


def test_api_access_page_creates_shows_once_lists_and_revokes(client, world):
    sponsor = world.users[Role.SPONSOR]
    client.force_login(sponsor)
    url = reverse("api-access")
    response = client.post(url, {"name": "Stata pull", "expires_on": ""})
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key.startswith("tsk_") and key in response.content.decode()
    assert call(key).status_code == 200
    again = client.get(url).content.decode()
    assert key not in again and "Stata pull" in again and key[:12] in again
    token = ApiToken.objects.get(user=sponsor)
    assert client.post(reverse("api-token-revoke", args=[token.pk])).status_code == 302
    assert call(key).status_code == 401
    assert "revoked" in client.get(url).content.decode()


def test_api_access_page_refuses_an_empty_name_on_the_field(client, world):
    client.force_login(world.users[Role.SPONSOR])
    response = client.post(reverse("api-access"), {"name": "  "})
    assert "name" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_api_access_page_costs_the_same_with_1_and_25_tokens(client, world,
                                                              django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sponsor = world.users[Role.SPONSOR]
    client.force_login(sponsor)
    services.token_create(actor=sponsor, name="t0")
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("api-access"))
    for i in range(24):
        _, key = services.token_create(actor=sponsor, name=f"t{i + 1}")
        call(key)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("api-access"))
    assert len(many) == len(one)
