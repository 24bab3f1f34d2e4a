"""Bad input at the API's edges: a mangled cursor is a 400 naming the cursor, never 404/500."""

from base64 import b64encode

import pytest

from trialsite.models import Role


@pytest.mark.parametrize("cursor", [
    "not-base64!!", b64encode(b"p=abc").decode(), b64encode(b"o=-1").decode(),
    b64encode("p=\u00e9".encode()).decode(), "%00",
])
def test_a_malformed_cursor_is_a_400_naming_the_cursor(world, client, cursor):
    client.force_login(world.users[Role.DATA_MANAGER])
    response = client.get("/api/v1/patients/", {"cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_a_valid_cursor_still_pages(world, client):
    client.force_login(world.users[Role.DATA_MANAGER])
    first = client.get("/api/v1/patients/", {"page_size": 1}).json()
    assert client.get(first["next"]).status_code == 200
