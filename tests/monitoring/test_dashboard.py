"""The operations dashboard, the query lists and the SDV worklist: content and query budgets."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import enrol, register_patient, screen
from tests.monitoring.helpers import patient_with_baseline
from trialsite.audit import WriteRefused, bulk_create_audited
from trialsite.models import Role
from trialsite.monitoring import services
from trialsite.monitoring.models import Query
from visits.crf.models import AdverseEvent


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200, url
    return len(ctx.captured_queries)


def test_dashboard_shows_enrolment_against_the_protocol_target_and_the_flow(client, world):
    patient_with_baseline(world)
    failed = register_patient(world.site_a1, consent_date=date(2026, 1, 12))
    screen(failed, failing=True)
    client.force_login(world.users[Role.SPONSOR])
    response = client.get(reverse("study-dashboard", args=[world.study_a.code]))
    context = response.context
    assert context["target"] == 80 and context["enrolled"] == 1
    stages = {label: n for label, n, _ in context["stages"]}
    # Study A has the world's patient at A2 too (registered, not screened yet).
    assert stages["Screened"] == 3 and stages["Eligible"] == 1 and stages["Enrolled"] == 1
    html = response.content.decode()
    for section in ("enrolment", "consort", "screen-failures", "compliance", "query-ages",
                    "sdv-progress", "samples"):
        assert f'id="{section}"' in html
    assert html.count("<svg") >= 5 and "target 80" in html
    # A site's dashboard uses the site's own target.
    site = client.get(reverse("study-dashboard", args=[world.study_a.code]),
                      {"site": world.site_a1.code})
    assert site.context["target"] == world.site_a1.target_enrolment


def test_coordinators_do_not_see_the_dashboard(client, world):
    client.force_login(world.users[Role.COORDINATOR])
    assert client.get(reverse("study-dashboard", args=[world.study_a.code])).status_code == 404


@pytest.mark.parametrize("route", ["query-list", "sdv-worklist", "study-dashboard", "home"])
def test_monitoring_lists_cost_the_same_for_1_and_many_records(client, world, route):
    coordinator, monitor = world.users[Role.COORDINATOR], world.users[Role.MONITOR]
    patient, records = patient_with_baseline(world)
    url = {"query-list": reverse("query-list"),
           "sdv-worklist": reverse("sdv-worklist", args=[world.site_a1.code]),
           "study-dashboard": reverse("study-dashboard", args=[world.study_a.code]),
           "home": reverse("home")}[route]
    services.query_open(actor=monitor, record=records["vital_signs"], text="Check")
    client.force_login(monitor)
    _count(client, url)
    one = _count(client, url)
    for _ in range(3):
        other = enrol(register_patient(world.site_a1, actor=coordinator), coordinator=coordinator)
        for visit in other.visits.all()[:4]:
            services.query_open(actor=monitor, record=visit, text="Check the visit")
    services.sdv_mark(actor=monitor, records=[records["vital_signs"]])
    assert Query.objects.count() >= 13
    assert _count(client, url) == one


def test_query_list_shows_age_in_days_and_filters_by_status_and_site(client, world):
    _, records = patient_with_baseline(world)
    query = services.query_open(actor=world.users[Role.MONITOR],
                                record=records["vital_signs"], text="Check")
    client.force_login(world.users[Role.COORDINATOR])
    response = client.get(reverse("query-list"), {"status": "open",
                                                  "site": world.site_a1.code})
    assert [(q.pk, age) for q, age in response.context["queries"]] == [(query.pk, 0)]
    assert client.get(reverse("query-list"), {"status": "closed"}).context["queries"] == []


def test_a_locked_visit_refuses_a_new_list_entry_through_bulk_create(world):
    patient, _ = patient_with_baseline(world)
    from tests.monitoring.helpers import visit_of

    bl = visit_of(patient, "BL")
    services.lock_create(actor=world.users[Role.DATA_MANAGER], target=bl, reason="frozen")
    event = AdverseEvent(patient=patient, visit=bl, term="Fatigue", grade=1,
                         start_date=date(2026, 1, 30), serious=False, relation_cdk46i="possible",
                         relation_endocrine="unlikely", action_taken="none",
                         outcome="recovering")
    with pytest.raises(WriteRefused):
        bulk_create_audited(AdverseEvent, [event], actor=world.users[Role.COORDINATOR])
    assert not AdverseEvent.objects.exists()
