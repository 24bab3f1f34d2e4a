"""Monitoring pages: the audit review pages, their query budgets, and that history is read-only."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.monitoring.helpers import correct, patient_with_baseline, visit_of
from trialsite.models import Role
from trialsite.monitoring import services


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _correct_many(world, patient, record, times):
    coordinator = world.users[Role.COORDINATOR]
    for i in range(times):
        record = correct("vital_signs", coordinator, visit_of(patient, "BL"), record,
                         reason=f"Correction {i}",
                         weight_kg=Decimal("68.5") + Decimal(record.version) / 10)
    return record


def test_record_trail_shows_labelled_field_diffs_with_reason(client, world):
    patient, records = patient_with_baseline(world)
    vitals = _correct_many(world, patient, records["vital_signs"], 1)
    client.force_login(world.users[Role.MONITOR])
    html = client.get(reverse("record-review", args=["visits.vitalsigns", vitals.pk])).content
    html = html.decode()
    assert "Weight (kg)" in html and "<del>68.5</del> → <ins>68.6</ins>" in html
    assert "Correction 0" in html


@pytest.mark.parametrize("route", ["record-review", "patient-trail", "study-trail"])
def test_audit_pages_cost_the_same_for_1_and_25_versions(client, world, route):
    patient, records = patient_with_baseline(world)
    client.force_login(world.users[Role.DATA_MANAGER])
    urls = {
        "record-review": lambda r: reverse("record-review", args=["visits.vitalsigns", r.pk]),
        "patient-trail": lambda r: reverse("patient-trail", args=[patient.subject_id]),
        "study-trail": lambda r: reverse("study-trail", args=[world.study_a.code]),
    }
    record = _correct_many(world, patient, records["vital_signs"], 1)
    _count(client, urls[route](record))  # warm the content-type cache
    one = _count(client, urls[route](record))
    record = _correct_many(world, patient, record, 24)
    many = _count(client, urls[route](record))
    print(route, one, many)
    if route == "study-trail":
        # One query per audited table and, for the page's rows, one per table for the prior
        # versions and one per related model for names: bounded whatever the number of rows.
        from trialsite.monitoring.selectors import trail_sources

        assert max(one, many) <= 2 * len(trail_sources()) + 12
    else:
        assert many == one


def test_study_trail_filters_paginate_with_a_cursor_and_export_csv(client, world):
    patient, records = patient_with_baseline(world)
    _correct_many(world, patient, records["vital_signs"], 3)
    client.force_login(world.users[Role.DATA_MANAGER])
    url = reverse("study-trail", args=[world.study_a.code])
    response = client.get(url, {"form": "visits.VitalSigns", "action": "changed"})
    rows = response.context["rows"]
    assert len(rows) == 3 and all(r.entry.action == "changed" for r in rows)
    # Cursor pagination walks every entry once, newest first.
    from trialsite.monitoring import selectors

    flt = selectors.TrailFilter(study=world.study_a)
    seen, cursor = [], None
    while True:
        page, cursor = selectors.study_trail(flt, cursor=cursor, page_size=7)
        seen += [(r.model._meta.label, r.entry.record.history_id) for r in page]
        if cursor is None:
            break
    full, _ = selectors.study_trail(flt, page_size=10_000)
    assert seen == [(r.model._meta.label, r.entry.record.history_id) for r in full]
    assert len(set(seen)) == len(seen)
    today = date.today()
    response = client.get(reverse("study-trail-csv", args=[world.study_a.code]), {
        "date_from": (today - timedelta(days=1)).isoformat(), "date_to": today.isoformat(),
        "form": "visits.VitalSigns"})
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].startswith("time_utc,site") and len(lines) == 1 + 4
    assert "Weight (kg): 68.5 → 68.6" in body
    # Without a date range, nothing is exported.
    response = client.get(reverse("study-trail-csv", args=[world.study_a.code]))
    assert response.status_code == 302


def test_membership_grants_are_in_the_study_trail(client, world):
    client.force_login(world.users[Role.DATA_MANAGER])
    response = client.get(reverse("study-trail", args=[world.study_a.code]),
                          {"form": "trialsite.Membership"})
    labels = [r.entry.action for r in response.context["rows"]]
    assert labels and set(labels) == {"created"}
    assert "Monitor" in response.content.decode()


def test_pages_render_for_their_roles(client, world):
    patient, records = patient_with_baseline(world)
    query = services.query_open(actor=world.users[Role.MONITOR],
                                record=records["vital_signs"], field_name="weight_kg",
                                text="Check weight")
    for role in (Role.MONITOR, Role.DATA_MANAGER, Role.COORDINATOR):
        client.force_login(world.users[role])
        for url in (reverse("query-list"), reverse("query-detail", args=[query.pk]),
                    reverse("patient-trail", args=[patient.subject_id]), reverse("home")):
            assert client.get(url).status_code == 200, (role, url)
    client.force_login(world.users[Role.COORDINATOR])
    form_page = client.get(reverse("visit-form", args=[patient.subject_id, "BL",
                                                       "vital_signs"])).content.decode()
    assert "⚑ query" in form_page
    client.force_login(world.users[Role.SPONSOR])
    assert client.get(reverse("study-dashboard", args=[world.study_a.code])).status_code == 200
    client.force_login(world.users[Role.MONITOR])
    assert client.get(reverse("sdv-worklist", args=[world.site_a1.code])).status_code == 200
    assert client.get(reverse("monitoring-home")).status_code == 200


def test_no_route_or_admin_edits_or_deletes_history_rows(client, world, settings):
    """History is never edited or deleted by the app: no page or API route outside the admin
    names a history row; the admin registers no history model and cannot revert one."""
    from trialsite.models import Membership

    names = []

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace != "admin":
                    walk(p.url_patterns)
            elif isinstance(p, URLPattern):
                names.append(str(p.pattern))

    walk(get_resolver().url_patterns)
    assert [n for n in names if "histor" in n.lower()] == []
    assert [m for m in admin.site._registry if m.__name__.startswith("Historical")] == []
    assert settings.SIMPLE_HISTORY_REVERT_DISABLED is True
    membership = Membership.objects.first()
    row = membership.history.get()
    before = (row.role, row.history_change_reason, membership.history.count())
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/admin/trialsite/membership/{membership.pk}/history/{row.history_id}/"
    response = client.post(url, {"role": "sponsor", "reason": "tamper"})
    assert response.status_code in (200, 302, 403, 405)
    row = membership.history.get()
    assert (row.role, row.history_change_reason, membership.history.count()) == before
    for role in (Role.MONITOR, Role.DATA_MANAGER, Role.COORDINATOR):
        client.force_login(world.users[role])
        assert client.post(url, {"role": "sponsor"}).status_code in (302, 403, 404)


@pytest.mark.postgres
def test_monitoring_history_rows_are_refused_update_and_delete_by_the_database(world):
    from django.db import DatabaseError, transaction

    from trialsite.monitoring.models import Query

    _, records = patient_with_baseline(world)
    services.query_open(actor=world.users[Role.MONITOR], record=records["vital_signs"],
                        text="Check")
    history = Query.history.model.objects
    with pytest.raises(DatabaseError), transaction.atomic():
        history.update(history_change_reason="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        history.all()._raw_delete(history.db)
    assert history.filter(history_change_reason="tampered").count() == 0


def test_a_monitor_reads_the_trail_of_their_own_sites_only(client, world):
    patient_with_baseline(world)
    client.force_login(world.users[Role.MONITOR])
    response = client.get(reverse("study-trail", args=[world.study_a.code]))
    sites = {row.site_code for row in response.context["rows"]}
    assert sites == {world.site_a1.code}
    assert world.patient_a2.subject_id not in response.content.decode()
    today = date.today().isoformat()
    export = client.get(reverse("study-trail-csv", args=[world.study_a.code]),
                        {"date_from": today, "date_to": today})
    assert export.status_code == 403
    export = client.get(reverse("study-trail-csv", args=[world.study_a.code]),
                        {"date_from": today, "date_to": today, "site": world.site_a1.code})
    body = b"".join(export.streaming_content).decode()
    assert world.patient_a1.subject_id in body and world.patient_a2.subject_id not in body


def test_the_casebook_says_whether_it_is_signed_and_still_covered(client, world):
    patient, records = patient_with_baseline(world)
    investigator, coordinator = world.users[Role.INVESTIGATOR], world.users[Role.COORDINATOR]
    client.force_login(coordinator)
    url = reverse("patient-detail", args=[patient.subject_id])

    def signature_line():
        body = client.get(url).content.decode()
        line = body[body.index('id="casebook-signature"'):]
        return line[:line.index("</p>")]

    assert "Casebook not signed" in signature_line()
    services.casebook_sign(actor=investigator, patient=patient,
                           password="correct-horse-battery")
    assert "still covers every record" in signature_line()
    assert investigator.printed_name in signature_line()
    correct("vital_signs", coordinator, visit_of(patient, "BL"), records["vital_signs"],
            reason="late correction", weight_kg=Decimal("69.0"))
    line = signature_line()
    assert "Signature invalidated" in line and "1 record changed" in line


@pytest.mark.parametrize("route", ["patient-trail", "study-trail"])
def test_audit_pages_cost_the_same_for_1_and_4_visits_with_samples(client, world, route):
    """Records named after their parents (a sample after its visit, a visit after its patient)
    are named from one query per related model, not one per record."""
    from tests.biosamples.conftest import draw, process

    patient, _ = patient_with_baseline(world)
    coordinator = world.users[Role.COORDINATOR]
    process(draw(visit_of(patient, "BL"), coordinator), coordinator)
    client.force_login(world.users[Role.DATA_MANAGER])
    url = (reverse("patient-trail", args=[patient.subject_id]) if route == "patient-trail"
           else reverse("study-trail", args=[world.study_a.code]))
    _count(client, url)
    one = _count(client, url)
    for code in ("M1", "M2", "M3"):
        process(draw(visit_of(patient, code), coordinator), coordinator)
    assert _count(client, url) <= one
