"""Headers: a Content-Security-Policy without inline script, a Permissions-Policy; the API
schema and docs for logged-in users only."""

import re
from pathlib import Path

from django.conf import settings
from django.test import Client

from trialsite.models import Role

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def csp_directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ") if part.strip()}


def test_pages_send_a_csp_that_allows_no_inline_script_and_a_permissions_policy(world, client):
    client.force_login(world.users[Role.COORDINATOR])
    for path in ("/", "/login/", f"/patients/{world.patient_a1.subject_id}/"):
        response = client.get(path)
        directives = csp_directives(response)
        assert directives["script-src"] == ["'self'"], path
        assert directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]


def test_no_template_holds_an_inline_script_or_event_handler():
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0):
                offenders.append(f"{template}: inline <script>")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{template}: inline event handler")
    assert offenders == []


def test_the_api_schema_and_docs_need_a_login(world):
    anonymous = Client()
    assert anonymous.get("/api/v1/schema/").status_code in (401, 403)
    assert anonymous.get("/api/v1/docs/").status_code in (401, 403)
    member = Client()
    member.force_login(world.users[Role.DATA_MANAGER])
    assert member.get("/api/v1/schema/").status_code == 200
    docs = member.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert not re.search(r"<script(?![^>]*src=)[^>]*>", docs.content.decode())
