"""The patient list in pages: every patient once, in the list's order, whatever the list's size;
links keep the filters; a tampered page link is a 400 with a message."""

import pytest
from django.urls import reverse

from tests.factories import register_patient
from tests.security.test_query_counts import count_queries
from trialsite import pagination
from trialsite.models import Role


def walk(client, url, *, backwards_from=None):
    """Every page from ``url`` following Next links; returns the subject ids page by page."""
    pages = []
    response = client.get(url)
    while True:
        assert response.status_code == 200
        page = response.context["page"]
        pages.append([p.subject_id for p in page.items])
        if page.next_cursor is None:
            return pages, page
        response = client.get(url + ("&" if "?" in url else "?") + f"cursor={page.next_cursor}")


@pytest.fixture
def pages_of_3(monkeypatch):
    """The list's pages hold 3 patients (50 in the app) so a few patients make several pages."""
    from enrollment import selectors

    monkeypatch.setattr(selectors.patient_page, "__kwdefaults__", {"cursor": None, "size": 3})


@pytest.fixture
def many(world):
    coordinator = world.users[Role.COORDINATOR]
    return [register_patient(world.site_a1, actor=coordinator) for _ in range(6)]


def test_every_patient_appears_once_in_site_and_number_order(client, world, many, pages_of_3):
    client.force_login(world.users[Role.DATA_MANAGER])
    pages, last = walk(client, reverse("patient-list"))
    assert [len(p) for p in pages] == [3, 3, 2]
    flat = [s for page in pages for s in page]
    # Study A's sites: AONE (patient_a1 + 6) then ATWO (patient_a2); never study B's.
    assert flat == [f"AONE-{n:03d}" for n in range(1, 8)] + ["ATWO-001"]
    assert last.previous_cursor is not None


def test_previous_goes_back_to_the_same_rows(client, world, many, pages_of_3):
    client.force_login(world.users[Role.DATA_MANAGER])
    url = reverse("patient-list")
    first = client.get(url).context["page"]
    second = client.get(f"{url}?cursor={first.next_cursor}").context["page"]
    back = client.get(f"{url}?cursor={second.previous_cursor}").context["page"]
    assert [p.subject_id for p in back.items] == [p.subject_id for p in first.items]
    assert back.previous_cursor is None  # the first page has nothing before it


def test_page_links_keep_the_filters(client, world, many, pages_of_3):
    client.force_login(world.users[Role.DATA_MANAGER])
    response = client.get(reverse("patient-list") + "?site=AONE&status=screening")
    html = response.content.decode()
    page = response.context["page"]
    assert f"?site=AONE&amp;status=screening&amp;cursor={page.next_cursor}" in html
    assert "3 of 7 patients" in html
    pages, _ = walk(client, reverse("patient-list") + "?site=AONE&status=screening")
    assert sum(len(p) for p in pages) == 7


@pytest.mark.parametrize("cursor", ["not-a-cursor", "e30", "WyJuZXh0IiwgWzFdXQ"])
def test_a_tampered_page_link_is_refused_with_a_message(client, world, cursor):
    client.force_login(world.users[Role.DATA_MANAGER])
    response = client.get(reverse("patient-list") + f"?cursor={cursor}")
    assert response.status_code == 400
    assert "This page link is not valid" in response.content.decode()


def test_a_page_costs_the_same_queries_for_a_small_and_a_large_list(client, world):
    client.force_login(world.users[Role.DATA_MANAGER])
    url = reverse("patient-list")
    small = count_queries(client, url)
    coordinator = world.users[Role.COORDINATOR]
    for _ in range(60):  # more than one page
        register_patient(world.site_a1, actor=coordinator)
    page = client.get(url).context["page"]
    assert len(page.items) == pagination.DEFAULT_PAGE_SIZE
    assert count_queries(client, url) == small
    assert count_queries(client, f"{url}?cursor={page.next_cursor}") == small


def test_keys_decode_only_what_was_encoded():
    cursor = pagination.encode("next", ["AONE", 12, 40])
    assert pagination.decode(cursor, 3) == ("next", ["AONE", 12, 40])
    with pytest.raises(pagination.BadCursor):
        pagination.decode(cursor, 2)  # a cursor of another list's order
    with pytest.raises(pagination.BadCursor):
        pagination.decode(pagination.encode("sideways", ["AONE", 1, 1]), 3)
