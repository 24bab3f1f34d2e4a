"""Visits through the services and jobs: schedule at enrolment, overdue flags, reminders."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollment.models import Enrolment
from tests.factories import enrol, register_patient
from trialsite.models import Role
from trialsite.services import system_user
from visits import services, tasks
from visits.domain.schedule import VisitStatus
from visits.models import Visit, VisitReminder


def day1_of(patient):
    return Enrolment.objects.get(patient=patient).day1


@pytest.fixture
def enrolled(world, coordinator):
    """An ICRG0201 patient enrolled with day 1 = its screening's registration date."""
    return enrol(world.patient_a1, coordinator=coordinator, today=date(2026, 2, 1))


def codes(patient, **filters):
    return list(Visit.objects.filter(patient=patient, **filters)
                .order_by("target_date").values_list("code", flat=True))


def test_enrolment_creates_the_fixed_visits_and_two_quarterly_ones(enrolled):
    d1 = day1_of(enrolled)
    visits = {v.code: v for v in Visit.objects.filter(patient=enrolled)}
    assert ["SCR", "BL", "M1", "M2", "M3"] == codes(enrolled)[:5]
    assert visits["BL"].target_date == d1 and visits["BL"].window_end == d1 + timedelta(days=3)
    assert visits["M1"].target_date == d1 + timedelta(days=28)
    assert visits["M2"].window_start == d1 + timedelta(days=53)
    assert visits["M3"].window_end == d1 + timedelta(days=91)
    # The screening visit was the eligibility screening itself.
    assert visits["SCR"].status == "completed"
    assert all(v.history.count() == 1 for v in visits.values())


def test_overdue_job_flags_once_and_the_second_run_changes_nothing(enrolled):
    system = system_user()
    d1 = day1_of(enrolled)
    bl_closes = d1 + timedelta(days=3)
    first = services.flag_overdue_visits(actor=system, today=bl_closes)
    assert first["flagged"] == 0  # the window's last day is still open
    day_after = bl_closes + timedelta(days=1)
    assert services.flag_overdue_visits(actor=system, today=day_after)["flagged"] == 1
    assert services.flag_overdue_visits(actor=system, today=day_after) == {
        "flagged": 0, "resolved": 0}
    bl = Visit.objects.get(patient=enrolled, code="BL")
    assert bl.overdue_since == day_after
    assert services.visit_status_on(bl, day_after) == VisitStatus.OVERDUE
    [flag_row] = bl.history.filter(history_change_reason__startswith="Window closed")
    assert flag_row.history_user == system and flag_row.version == 2


def test_data_arriving_resolves_the_flag(enrolled, coordinator):
    system = system_user()
    d1 = day1_of(enrolled)
    services.flag_overdue_visits(actor=system, today=d1 + timedelta(days=10))
    bl = Visit.objects.get(patient=enrolled, code="BL")
    services.visit_record_forms(actor=coordinator, visit=bl, entered_forms=bl.required_forms,
                                actual_date=d1 + timedelta(days=5))
    bl.refresh_from_db()
    assert bl.status == "completed" and bl.overdue_since is None
    assert services.flag_overdue_visits(actor=system, today=d1 + timedelta(days=11)) == {
        "flagged": 0, "resolved": 0}


def test_jobs_over_simulated_days(enrolled, coordinator, django_capture_on_commit_callbacks):
    """Run the daily jobs day after day: each visit is flagged once, reminded once."""
    coordinator.email = "coord@example.org"
    coordinator.save(update_fields=["email"])
    d1 = day1_of(enrolled)
    flagged_days = {}
    for offset in range(-10, 100):
        today = d1 + timedelta(days=offset)
        result = tasks.flag_overdue_visits.delay(today.isoformat()).get()
        with django_capture_on_commit_callbacks(execute=True):  # mail goes out on commit
            tasks.send_visit_reminders.delay(today.isoformat()).get()
            tasks.send_visit_reminders.delay(today.isoformat()).get()  # a retry sends nothing
        if result["flagged"]:
            flagged_days[today] = result["flagged"]
        if offset == 30:  # M1 done late-ish, inside its window
            m1 = Visit.objects.get(patient=enrolled, code="M1")
            services.visit_record_forms(actor=coordinator, visit=m1,
                                        entered_forms=m1.required_forms, actual_date=today)
    bl_flag_day = d1 + timedelta(days=4)
    assert flagged_days[bl_flag_day] == 1
    assert Visit.objects.get(patient=enrolled, code="M1").overdue_since is None
    overdue_codes = set(Visit.objects.filter(patient=enrolled, overdue_since__isnull=False)
                        .values_list("code", flat=True))
    assert overdue_codes == {"BL", "M2", "M3"}
    reminders = VisitReminder.objects.filter(recipient=coordinator)
    pairs = list(reminders.values_list("visit__code", "kind"))
    assert len(pairs) == len(set(pairs))
    assert ("M1", "opening") in pairs and ("BL", "overdue") in pairs
    assert all("trialsite:" in m.subject for m in mail.outbox)
    bodies = "\n".join(m.body for m in mail.outbox)
    assert bodies.count(f"{enrolled.subject_id} M2 (") == 2  # opening, then overdue


def test_flagging_costs_a_constant_number_of_queries(world, coordinator):
    system = system_user()
    enrol(world.patient_a1, coordinator=coordinator, today=date(2026, 2, 1))
    day = date(2027, 1, 1)
    with CaptureQueriesContext(connection) as one:
        services.flag_overdue_visits(actor=system, today=day)
    for _ in range(5):
        enrol(register_patient(world.site_a1, actor=coordinator), coordinator=coordinator,
              today=date(2026, 2, 1))
    with CaptureQueriesContext(connection) as six:
        result = services.flag_overdue_visits(actor=system, today=day)
    assert result["flagged"] > 5
    assert len(six.captured_queries) == len(one.captured_queries)


def test_withdrawal_cancels_later_visits_with_the_reason(enrolled, coordinator):
    d1 = day1_of(enrolled)
    services.patient_withdraw(actor=coordinator, patient=enrolled,
                              withdrawal_date=d1 + timedelta(days=40), reason="Moved away")
    # Materialised on 2026-02-01 up to two quarters ahead: M6 is the last planned visit.
    assert codes(enrolled, status="cancelled") == ["M2", "M3", "M6"]
    m2 = Visit.objects.get(patient=enrolled, code="M2")
    assert m2.status_reason.startswith("withdrawal on")
    assert Visit.objects.get(patient=enrolled, code="M1").status == "planned"


def test_redating_day1_moves_only_visits_not_done(enrolled, coordinator):
    d1 = day1_of(enrolled)
    bl = Visit.objects.get(patient=enrolled, code="BL")
    services.visit_record_forms(actor=coordinator, visit=bl, entered_forms=bl.required_forms,
                                actual_date=d1)
    enrolment = Enrolment.objects.get(patient=enrolled)
    services.enrolment_redate(actor=coordinator, enrolment=enrolment,
                              new_day1=d1 + timedelta(days=7), reason="Treatment started late")
    visits = {v.code: v for v in Visit.objects.filter(patient=enrolled)}
    assert visits["BL"].target_date == d1
    assert visits["M1"].target_date == d1 + timedelta(days=35)
    assert visits["M1"].history.latest().history_change_reason == (
        "Day 1 re-dated: Treatment started late")
    assert Enrolment.objects.get(patient=enrolled).day1 == d1 + timedelta(days=7)


def test_missed_visit_needs_a_reason_and_is_never_overdue(enrolled, coordinator):
    m1 = Visit.objects.get(patient=enrolled, code="M1")
    with pytest.raises(ValidationError):
        services.visit_record_missed(actor=coordinator, visit=m1, reason=" ")
    services.visit_record_missed(actor=coordinator, visit=m1, reason="In hospital elsewhere")
    later = day1_of(enrolled) + timedelta(days=200)
    services.flag_overdue_visits(actor=system_user(), today=later)
    m1.refresh_from_db()
    assert m1.status == "missed" and m1.overdue_since is None


def test_schedule_grows_as_time_passes(enrolled):
    before = set(codes(enrolled))
    later = day1_of(enrolled) + timedelta(days=400)
    added = services.schedules_extend(actor=system_user(), today=later)
    assert added > 0 and {"M12", "M15"} <= set(codes(enrolled)) - before
    assert services.schedules_extend(actor=system_user(), today=later) == 0


def test_palmares2_visits_before_enrolment_are_history_never_overdue(world):
    patient = enrol(world.patient_b1, today=date(2026, 2, 1))
    retro = Visit.objects.filter(patient=patient, retrospective=True)
    assert retro.exists()
    services.flag_overdue_visits(actor=system_user(), today=date(2026, 2, 2))
    assert not retro.filter(overdue_since__isnull=False).exists()
    assert services.visit_status_on(retro.first(), date(2026, 2, 2)) == VisitStatus.HISTORY


def test_data_entry_is_refused_to_readers(enrolled, world):
    bl = Visit.objects.get(patient=enrolled, code="BL")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.visit_record_missed(actor=world.users[Role.MONITOR], visit=bl, reason="x")
