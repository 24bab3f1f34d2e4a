"""Errors in the app's own layout, the favicon, the menu each role gets, and the way back from
the API docs."""

from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from trialsite.models import Role


def test_an_unknown_record_is_a_404_in_the_apps_layout(client, world):
    client.force_login(world.users[Role.COORDINATOR])
    response = client.get(reverse("patient-detail", args=["NOPE-999"]))
    html = response.content.decode()
    assert response.status_code == 404
    assert 'class="topbar"' in html and "Page not found" in html
    assert reverse("home") in html


def test_a_refused_action_says_why_in_the_apps_layout(client, world):
    client.force_login(world.users[Role.SPONSOR])
    response = client.get(reverse("patient-register"))
    html = response.content.decode()
    assert response.status_code == 403
    assert 'class="topbar"' in html
    assert "Only site coordinators and investigators register patients." in html


def test_a_server_error_page_reassures_about_saved_data(db):
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Nothing you saved before this page is lost" in html and "favicon.svg" in html


def test_every_page_has_the_favicon(client, world):
    from django.contrib.staticfiles import finders

    client.force_login(world.users[Role.COORDINATOR])
    assert 'rel="icon" href="/static/favicon.svg"' in client.get(reverse("home")).content.decode()
    assert finders.find("favicon.svg")


def _menu(client, user):
    client.force_login(user)
    return [name for name, _ in client.get(reverse("home")).context["nav"]]


def test_coordinators_get_no_exports_or_api_in_their_menu(client, world):
    menu = _menu(client, world.users[Role.COORDINATOR])
    assert "patient-register" in menu
    assert not {"exports", "api-access", "api-docs"} & set(menu)


def test_data_managers_get_exports_and_the_api(client, world):
    menu = _menu(client, world.users[Role.DATA_MANAGER])
    assert {"exports", "api-access", "api-docs"} <= set(menu)


def test_a_coordinator_who_also_monitors_gets_them(client, world):
    from tests.factories import grant

    coordinator = world.users[Role.COORDINATOR]
    grant(coordinator, Role.MONITOR, site=world.site_a2)
    assert {"exports", "api-access", "api-docs"} <= set(_menu(client, coordinator))


def test_the_api_docs_link_back_to_the_app(client, world):
    client.force_login(world.users[Role.DATA_MANAGER])
    html = client.get(reverse("api-docs")).content.decode()
    assert f'href="{reverse("home")}"' in html and "Back to trialsite" in html
    assert 'id="swagger-ui"' in html
