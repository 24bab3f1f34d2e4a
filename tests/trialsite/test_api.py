"""The REST API: token auth, schema, docs, patients with filters and cursor pagination."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from enrollment import services
from tests.factories import api_key, register_patient
from trialsite.exports.models import ApiToken
from trialsite.exports.services import token_revoke
from trialsite.models import Role


@pytest.fixture
def sponsor_api(world):
    key = api_key(world.users[Role.SPONSOR])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_api_root_lists_the_endpoints_with_a_token(sponsor_api):
    response = sponsor_api.get("/api/v1/")
    assert response.status_code == 200
    assert {"patients", "sites", "studies"} <= set(response.json())


def test_bad_or_revoked_token_is_refused(world):
    sponsor = world.users[Role.SPONSOR]
    key = api_key(sponsor)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/patients/").status_code == 200
    token_revoke(actor=sponsor, token=ApiToken.objects.get(user=sponsor))
    assert api.get("/api/v1/patients/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api.get("/api/v1/patients/").status_code == 401


def test_schema_is_openapi_3_and_docs_render(sponsor_api, client, world):
    schema = sponsor_api.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/patients/" in document["paths"]
    params = {p["name"] for p in document["paths"]["/api/v1/patients/"]["get"]["parameters"]}
    assert {"site", "updated_since", "cursor"} <= params
    client.force_login(world.users[Role.SPONSOR])
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()


def test_patients_are_pseudonymous(sponsor_api, world):
    [row, *_] = sponsor_api.get("/api/v1/patients/").json()["results"]
    assert row["subject_id"] == "AONE-001"
    assert row["age_at_consent"] == 55
    assert "birth_date" not in row


def test_patients_filter_by_site(sponsor_api, world):
    rows = sponsor_api.get("/api/v1/patients/?site=ATWO").json()["results"]
    assert [r["subject_id"] for r in rows] == ["ATWO-001"]


def test_updated_since_returns_changes_and_voids_since_then(sponsor_api, world, coordinator):
    since = timezone.now()
    services.patient_void(actor=coordinator, patient=world.patient_a1, reason="Duplicate")
    stamp = since.isoformat().replace("+00:00", "Z")
    rows = sponsor_api.get("/api/v1/patients/", {"updated_since": stamp}).json()["results"]
    assert [(r["subject_id"], r["voided"]) for r in rows] == [("AONE-001", True)]
    later = (timezone.now() + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    assert sponsor_api.get("/api/v1/patients/", {"updated_since": later}).json()["results"] == []


def test_malformed_filter_is_a_400_naming_the_field(sponsor_api):
    response = sponsor_api.get("/api/v1/patients/", {"updated_since": "yesterday"})
    assert response.status_code == 400
    assert "updated_since" in response.json()


def test_cursor_pagination_walks_every_patient_once(sponsor_api, world, coordinator):
    for _ in range(4):
        register_patient(world.site_a1, actor=coordinator)
    seen, url = [], "/api/v1/patients/?page_size=2"
    while url:
        page = sponsor_api.get(url).json()
        seen += [r["subject_id"] for r in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 6


def test_openapi_schema_is_valid_with_no_warning(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in ("/api/v1/patients/", "/api/v1/studies/{code}/prescreen",
                 "/api/v1/studies/{code}/schedule", "/api/v1/recist/evaluate"):
        assert f"{path}:" in text, path


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_updated_since_beyond_what_the_database_stores_is_a_400_on_the_field(world, value):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(world.users[Role.SPONSOR])}")
    for url in ("/api/v1/patients/", "/api/v1/aliquots/", "/api/v1/samples/"):
        response = client.get(url, {"updated_since": value})
        assert response.status_code == 400, (url, value, response.content)
        assert "updated_since" in response.json()


def test_updated_since_with_any_utc_offset_is_the_instant_it_names(world):
    """PostgreSQL stores offsets up to ±15:59 only; +17:49 is still a valid instant."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(world.users[Role.SPONSOR])}")
    ahead = (timezone.now() + timedelta(hours=1)).astimezone(
        timezone.get_fixed_timezone(17 * 60 + 49)).isoformat()
    response = client.get("/api/v1/patients/", {"updated_since": ahead})
    assert response.status_code == 200 and response.json()["results"] == []
    response = client.get("/api/v1/patients/", {"updated_since": "2000-01-01T00:00:00+17:49"})
    assert response.status_code == 200 and response.json()["results"]


def test_a_null_character_in_a_filter_is_a_400_on_that_parameter(sponsor_api, world):
    # PostgreSQL cannot hold NUL: such a filter once reached a lookup and gave a server error.
    response = sponsor_api.get("/api/v1/endpoints/", {"study": "ICRG\x000201",
                                                      "site": world.site_a1.code})
    assert response.status_code == 400
    assert response.json() == {"study": ["Null characters are not allowed."]}
    assert sponsor_api.get("/api/v1/endpoints/", {"study": "ICRG0201"}).status_code == 200


def test_a_null_character_in_a_page_address_is_a_400(client, world):
    client.force_login(world.users[Role.COORDINATOR])
    response = client.get("/patients/AONE%00001/")
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()
