"""Locks: a locked visit, patient or site refuses every write, whatever path it takes."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.monitoring.helpers import correct, patient_with_baseline, visit_of
from trialsite.audit import (
    WriteRefused,
    audited_queryset_update,
    bulk_update_audited,
    record_update,
)
from trialsite.models import Role
from trialsite.monitoring import services
from trialsite.monitoring.models import Lock
from visits.crf.models import VitalSigns
from visits.models import Visit


def test_locked_visit_refuses_a_correction_through_the_form_service(world):
    patient, records = patient_with_baseline(world)
    dm, coordinator = world.users[Role.DATA_MANAGER], world.users[Role.COORDINATOR]
    bl = visit_of(patient, "BL")
    lock = services.lock_create(actor=dm, target=bl, reason="Database lock for interim")
    vitals = records["vital_signs"]
    with pytest.raises(ValidationError) as excinfo:
        correct("vital_signs", coordinator, visit_of(patient, "BL"), vitals,
                weight_kg=Decimal("70"))
    assert "locked" in str(excinfo.value)
    vitals.refresh_from_db()
    assert vitals.weight_kg == Decimal("68.5") and vitals.version == 1
    # A direct audited update is refused too, not only the page or the service.
    with pytest.raises(WriteRefused):
        record_update(vitals, actor=coordinator, expected_version=1, reason="x",
                      changes={"weight_kg": Decimal("71")})
    services.lock_release(actor=dm, lock=lock, reason="Query resolved, reopening")
    saved = correct("vital_signs", coordinator, visit_of(patient, "BL"), vitals,
                    weight_kg=Decimal("70"))
    assert saved.version == 2
    lock.refresh_from_db()
    reasons = [h.history_change_reason for h in lock.history.all()]
    assert "Unlocked: Query resolved, reopening" in reasons


def test_patient_and_site_locks_refuse_bulk_writes(world):
    patient, records = patient_with_baseline(world)
    dm, coordinator = world.users[Role.DATA_MANAGER], world.users[Role.COORDINATOR]
    services.lock_create(actor=dm, target=patient, reason="Casebook frozen")
    vitals = VitalSigns.objects.get(pk=records["vital_signs"].pk)
    vitals.weight_kg = Decimal("99")
    with pytest.raises(WriteRefused):
        bulk_update_audited(VitalSigns, [vitals], ["weight_kg"], actor=coordinator,
                            reason="bulk fix")
    assert VitalSigns.objects.get(pk=vitals.pk).weight_kg == Decimal("68.5")


def test_set_based_jobs_leave_locked_rows_untouched(world):
    patient, _ = patient_with_baseline(world)
    dm = world.users[Role.DATA_MANAGER]
    services.lock_create(actor=dm, target=world.site_a1, reason="Site closed out")
    before = {v.pk: v.version for v in Visit.objects.filter(patient=patient)}
    count = audited_queryset_update(Visit.objects.filter(patient=patient), actor=dm,
                                    reason="job", status_reason="touched")
    assert count == 0
    assert {v.pk: v.version for v in Visit.objects.filter(patient=patient)} == before


def test_only_data_managers_lock_and_a_reason_is_required(world):
    patient, _ = patient_with_baseline(world)
    with pytest.raises(PermissionDenied):
        services.lock_create(actor=world.users[Role.MONITOR], target=patient, reason="x")
    with pytest.raises(ValidationError):
        services.lock_create(actor=world.users[Role.DATA_MANAGER], target=patient, reason=" ")
    lock = services.lock_create(actor=world.users[Role.DATA_MANAGER], target=patient,
                                reason="frozen")
    with pytest.raises(ValidationError):
        services.lock_create(actor=world.users[Role.DATA_MANAGER], target=patient,
                             reason="again")
    assert Lock.objects.get().pk == lock.pk and lock.history.count() == 1


def test_a_lock_elsewhere_refuses_nothing_and_a_lock_here_is_seen_at_once(
        world, django_assert_num_queries):
    """One query when no lock is active anywhere, two when one is (speed: bench/)."""
    from trialsite.monitoring.guard import LOCK_GUARD

    patient, records = patient_with_baseline(world)
    vitals = records["vital_signs"]
    with django_assert_num_queries(1):
        LOCK_GUARD.check(VitalSigns, [vitals])
    # A lock on another patient of the study: this one's records still save.
    dm, coordinator = world.users[Role.DATA_MANAGER], world.users[Role.COORDINATOR]
    services.lock_create(actor=dm, target=world.patient_a2, reason="Casebook frozen")
    with django_assert_num_queries(2):  # is any lock active; does one cover this record
        LOCK_GUARD.check(VitalSigns, [vitals])
    saved = record_update(vitals, actor=coordinator, expected_version=1, reason="Rescaled",
                          changes={"weight_kg": Decimal("69")})
    assert saved.version == 2
    # And a lock on this patient is seen at once.
    services.lock_create(actor=dm, target=patient, reason="Casebook frozen")
    with pytest.raises(WriteRefused):
        record_update(saved, actor=coordinator, expected_version=2, reason="Rescaled",
                      changes={"weight_kg": Decimal("70")})


def test_each_record_is_checked_against_its_own_scope(world):
    """The guard's query is built once per kind of record and reused with each record's ids:
    a lock on one patient refuses that patient's records only, whichever came first."""
    from django.utils import timezone

    from tests.factories import enrol, site_coordinator
    from trialsite.monitoring.guard import LOCK_GUARD
    from visits import services as visit_services

    dm = world.users[Role.DATA_MANAGER]
    patients = []
    for patient in (world.patient_a1, world.patient_a2):
        coordinator = site_coordinator(patient.site)
        patient = enrol(patient, coordinator=coordinator)
        if not patient.visits.exists():
            visit_services.schedule_create(actor=coordinator, enrolment=patient.enrolment,
                                           today=timezone.localdate())
        patients.append(patient)
    first, second = (visit_of(p, "BL") for p in patients)
    services.lock_create(actor=dm, target=patients[1], reason="Casebook frozen")
    LOCK_GUARD.check(Visit, [first])
    with pytest.raises(WriteRefused):
        LOCK_GUARD.check(Visit, [second])
    LOCK_GUARD.check(Visit, [first])
    # A record moved out of the locked patient is refused too: its stored scope is checked.
    moved = Visit.objects.get(pk=second.pk)
    moved.patient_id = patients[0].pk
    with pytest.raises(WriteRefused):
        LOCK_GUARD.check(Visit, [moved])
