"""The daily sample check: what it flags, that a second run changes nothing, constant queries."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from biosamples import services, tasks
from biosamples.models import SampleFlag
from tests.biosamples.conftest import LB, draw
from tests.biosamples.test_services import received, shipped
from tests.visits.crf.test_services import visit_of
from trialsite.models import Role
from trialsite.services import system_user
from visits import services as visit_services


def complete(patient, code, coordinator):
    visit = visit_of(patient, code)
    return visit_services.visit_record_forms(
        actor=coordinator, visit=visit, entered_forms=visit.required_forms,
        actual_date=visit.target_date)


def run(today=None):
    return services.sample_flags_refresh(actor=system_user(),
                                         today=today or timezone.localdate())


def open_flags(kind=None):
    flags = SampleFlag.objects.filter(resolved_on__isnull=True)
    return flags.filter(kind=kind) if kind else flags


def test_a_completed_visit_without_its_sample_is_flagged_once(patient, coordinator):
    visit = complete(patient, "BL", coordinator)
    assert run()["raised"] == {"missing_sample": 1}
    flag = open_flags().get()
    assert (flag.visit_id, flag.sample_code, flag.site_id) == (visit.pk, LB, patient.site_id)
    assert run() == {"raised": {}, "resolved": 0}
    assert SampleFlag.objects.count() == 1
    assert flag.history.get().history_user == system_user()


def test_recording_the_draw_or_not_collected_resolves_the_flag(patient, coordinator):
    bl = complete(patient, "BL", coordinator)
    m1 = complete(patient, "M1", coordinator)
    run()
    draw(bl, coordinator)
    services.sample_record_not_collected(actor=coordinator, visit=m1, sample_code=LB,
                                         reason="Patient refused")
    assert run()["resolved"] == 2
    assert not open_flags().exists()
    assert run() == {"raised": {}, "resolved": 0}


def test_planned_or_missed_visits_are_not_flagged(patient, coordinator):
    visit_services.visit_record_missed(actor=coordinator, visit=visit_of(patient, "BL"),
                                       reason="Did not come")
    assert run()["raised"] == {}


def test_a_shipment_in_transit_over_five_days_is_flagged_until_received(world, stored,
                                                                         coordinator, lab):
    shipment = shipped(world, coordinator, stored[:1])
    assert run()["raised"] == {}
    shipment.shipped_at = timezone.now() - timedelta(days=6)
    shipment._history_user, shipment._change_reason = coordinator, "test: shipped a week ago"
    shipment.save()
    assert run()["raised"] == {"transit_overdue": 1}
    assert run()["raised"] == {}
    received(lab, shipment, stored[:1])
    assert run()["resolved"] == 1
    assert not open_flags("transit_overdue").exists()


def test_aliquots_received_thawed_are_flagged_each_once(world, stored, coordinator, lab):
    received(lab, shipped(world, coordinator, stored[:3]), stored[:3], condition="thawed",
             **{stored[2].label: "missing"})
    assert run()["raised"] == {"received_thawed": 2}
    assert set(open_flags().values_list("aliquot_id", flat=True)) == {stored[0].pk,
                                                                      stored[1].pk}
    assert run()["raised"] == {}


def test_the_job_costs_the_same_queries_for_one_and_many_problems(patient, coordinator):
    complete(patient, "BL", coordinator)
    with CaptureQueriesContext(connection) as one:
        run()
    for code in ("M1", "M2", "M3"):
        complete(patient, code, coordinator)
    with CaptureQueriesContext(connection) as many:
        assert run()["raised"] == {"missing_sample": 3}
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_celery_task_runs_the_check(patient, coordinator):
    complete(patient, "BL", coordinator)
    result = tasks.flag_sample_problems.delay(timezone.localdate().isoformat()).get()
    assert result["raised"] == {"missing_sample": 1}


def test_flags_show_on_the_coordinators_and_monitors_home(client, world, patient, coordinator):
    complete(patient, "BL", coordinator)
    run()
    for role in (Role.COORDINATOR, Role.MONITOR):
        client.force_login(world.users[role])
        body = client.get("/").content.decode()
        assert "Expected sample not recorded" in body, role
        assert f"{patient.subject_id} BL" in body, role
    client.force_login(world.users[Role.SPONSOR])
    assert "Expected sample not recorded" not in client.get("/").content.decode()
