"""Queries, automatic edit-check queries, SDV and casebook signatures, through the services."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.monitoring.helpers import correct, patient_with_baseline, save, visit_of
from trialsite.audit import AuditError
from trialsite.models import Role
from trialsite.monitoring import selectors, services
from trialsite.monitoring.models import Query, QueryMessage


def test_a_query_goes_open_answered_closed_reopened_with_an_append_only_thread(world):
    patient, records = patient_with_baseline(world)
    monitor, coordinator = world.users[Role.MONITOR], world.users[Role.COORDINATOR]
    vitals = records["vital_signs"]
    query = services.query_open(actor=monitor, record=vitals, field_name="weight_kg",
                                text="Source says 65.8 kg")
    assert query.status == Query.Status.OPEN and query.field_label == "Weight (kg)"
    assert selectors.query_markers(vitals)["fields"] == {"weight_kg"}
    with pytest.raises(PermissionDenied):
        services.query_answer(actor=monitor, query=query, text="x")
    # The coordinator corrects the record, then answers: the answer links to the correction.
    corrected = correct("vital_signs", coordinator, visit_of(patient, "BL"), vitals,
                        reason="Query: transcription error", weight_kg=Decimal("65.8"))
    query = services.query_answer(actor=coordinator, query=query, text="Corrected")
    assert query.status == Query.Status.ANSWERED
    answer = query.messages.get(kind=QueryMessage.Kind.ANSWERED)
    assert answer.correction_version == corrected.version == 2
    assert selectors.record_monitoring(corrected)["answered_by"][2] == [query]
    query = services.query_reopen(actor=monitor, query=query, text="Height also differs")
    assert query.status == Query.Status.OPEN
    query = services.query_answer(actor=coordinator, query=query, text="Height is right")
    assert query.messages.last().correction_version is None
    query = services.query_close(actor=monitor, query=query, text="Thanks")
    assert query.status == Query.Status.CLOSED and query.closed_at is not None
    assert list(query.messages.values_list("kind", flat=True)) == [
        "opened", "answered", "reopened", "answered", "closed"]
    first = query.messages.first()
    first.text = "rewritten"
    first._history_user = monitor
    with pytest.raises(AuditError):
        first.save()
    with pytest.raises(AuditError):
        query.delete()
    with pytest.raises(AuditError):
        Query.objects.all().delete()


def test_an_answer_needs_a_reply_or_a_correction(world):
    _, records = patient_with_baseline(world)
    query = services.query_open(actor=world.users[Role.DATA_MANAGER],
                                record=records["vital_signs"], text="Check")
    with pytest.raises(ValidationError):
        services.query_answer(actor=world.users[Role.COORDINATOR], query=query, text=" ")


def test_edit_checks_open_and_close_automatic_queries_idempotently(world):
    patient, records = patient_with_baseline(world, "performance_status", "vital_signs")
    coordinator = world.users[Role.COORDINATOR]
    # M1 weight 80 kg after 68.5 kg at BL: +16.8 %, over the protocol's 10 %.
    save("vital_signs", coordinator, visit_of(patient, "M1"), weight_kg=Decimal("80"),
         height_cm=None)
    auto = Query.objects.filter(check_code="WEIGHT_CHANGE")
    assert auto.count() == 1
    query = auto.get()
    assert query.status == Query.Status.OPEN and query.field_name == "weight_kg"
    assert "16.8 %" in query.messages.get().text
    assert services.edit_checks_run(patient_pks=[patient.pk]) == (0, 0)  # idempotent
    m1_vitals = query.record
    correct("vital_signs", coordinator, visit_of(patient, "M1"), m1_vitals,
            reason="Query: 70 kg in source", weight_kg=Decimal("70"), height_cm=None)
    query.refresh_from_db()
    assert query.status == Query.Status.CLOSED
    assert "no longer trip" in query.messages.last().text
    assert services.edit_checks_run(patient_pks=[patient.pk]) == (0, 0)


def test_lab_value_over_five_times_uln_opens_a_query(world):
    patient, _ = patient_with_baseline(world, "performance_status")
    save("chemistry", world.users[Role.COORDINATOR], visit_of(patient, "BL"),
         alt=Decimal("250"))  # ULN 40: 6.25 × ULN
    query = Query.objects.get(check_code="LAB_RANGE")
    assert query.field_name == "alt" and "5 × ULN" in query.messages.get().text


def test_visit_date_outside_its_window_opens_a_query(world):
    from datetime import date

    patient, _ = patient_with_baseline(world, "vital_signs")
    save("performance_status", world.users[Role.COORDINATOR], visit_of(patient, "BL"),
         visit_date=date(2026, 2, 10))  # BL window 2026-01-29..2026-02-01
    query = Query.objects.get(check_code="VISIT_WINDOW")
    assert query.field_name == "actual_date" and "after" in query.messages.get().text


def test_a_change_after_sdv_clears_the_mark_and_shows_the_change(world):
    patient, records = patient_with_baseline(world)
    monitor, coordinator = world.users[Role.MONITOR], world.users[Role.COORDINATOR]
    vitals = records["vital_signs"]
    [mark] = services.sdv_mark(actor=monitor, records=[vitals])
    assert selectors.sdv_state(mark, vitals).verified
    with pytest.raises(PermissionDenied):
        services.sdv_mark(actor=coordinator, records=[vitals])
    changed = correct("vital_signs", coordinator, visit_of(patient, "BL"), vitals,
                      reason="Scale recalibrated", weight_kg=Decimal("69.0"))
    state = selectors.sdv_state(mark, changed)
    assert not state.verified and state.changed_since
    [entry] = state.changes
    change = next(c for c in entry.changes if c.field == "weight_kg")
    assert (change.label, change.old, change.new) == ("Weight (kg)", "68.5", "69.0")
    assert entry.reason == "Scale recalibrated"
    worklist = selectors.sdv_worklist(world.site_a1)
    assert any(row["pk"] == vitals.pk and row["changed"] for row in worklist["todo"])


def test_casebook_signature_is_invalidated_by_a_later_change(world):
    patient, records = patient_with_baseline(world)
    investigator, coordinator = world.users[Role.INVESTIGATOR], world.users[Role.COORDINATOR]
    with pytest.raises(ValidationError) as excinfo:
        services.casebook_sign(actor=investigator, patient=patient, password="wrong")
    assert "password" in excinfo.value.message_dict
    with pytest.raises(PermissionDenied):
        services.casebook_sign(actor=coordinator, patient=patient,
                               password="correct-horse-battery")
    signature = services.casebook_sign(actor=investigator, patient=patient,
                                       password="correct-horse-battery")
    assert signature.printed_name == investigator.printed_name
    assert selectors.signature_state(patient.pk).valid
    correct("vital_signs", coordinator, visit_of(patient, "BL"), records["vital_signs"],
            reason="late correction", weight_kg=Decimal("69.0"))
    state = selectors.signature_state(patient.pk)
    assert not state.valid
    assert any(form == "Vital signs" and (before, after) == (1, 2)
               for form, _, before, after, _ in state.changed)


def test_sdv_progress_counts_records_verified_at_their_current_version(world):
    patient, records = patient_with_baseline(world)
    monitor, coordinator = world.users[Role.MONITOR], world.users[Role.COORDINATOR]
    before = selectors.sdv_progress([world.site_a1.pk, world.site_a2.pk])
    verified, total = before[world.site_a1.pk]
    assert verified == 0 and total >= 3 and before[world.site_a2.pk][0] == 0
    vitals = records["vital_signs"]
    services.sdv_mark(actor=monitor, records=[vitals, patient])
    assert selectors.sdv_progress([world.site_a1.pk])[world.site_a1.pk] == (2, total)
    worklist = selectors.sdv_worklist(world.site_a1)
    assert (worklist["verified"], worklist["total"]) == (2, total)
    assert {row["pk"] for row in worklist["todo"] if row["model"] is type(vitals)} == set()
    # A correction after the verification: counted as not verified, listed as changed.
    correct("vital_signs", coordinator, visit_of(patient, "BL"), vitals,
            reason="Scale recalibrated", weight_kg=Decimal("69.0"))
    assert selectors.sdv_progress([world.site_a1.pk])[world.site_a1.pk] == (1, total)
    worklist = selectors.sdv_worklist(world.site_a1)
    assert [row["changed"] for row in worklist["todo"] if row["pk"] == vitals.pk
            and row["model"] is type(vitals)] == [True]
    assert len(worklist["todo"]) == total - 1
    assert len(selectors.sdv_worklist(world.site_a1, limit=2)["todo"]) == 2
