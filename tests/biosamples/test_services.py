"""Every sample, storage, shipment and result transition, and every refusal (services)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from biosamples import services
from biosamples.domain.lifecycle import AliquotStatus
from biosamples.models import Aliquot, AliquotResult, CustodyEvent, Sample, Shipment
from tests.biosamples.conftest import LB, draw, drawn_at, process, refresh
from tests.factories import site_coordinator
from tests.visits.crf.test_services import visit_of
from trialsite.audit import AuditError, StaleVersion, audited_save
from trialsite.models import Role
from visits import services as visit_services

HEAD = "aliquot_label,measured_at,instrument,result_file,qc_status\n"


def fields(excinfo):
    return set(excinfo.value.message_dict)


def new_shipment(world, coordinator, lab="QOLAB"):
    return services.shipment_create(actor=coordinator, site=world.site_a1, destination_lab=lab)


def shipped(world, coordinator, aliquots):
    shipment = new_shipment(world, coordinator)
    services.shipment_add_aliquots(actor=coordinator, shipment=shipment, aliquots=aliquots)
    return services.shipment_ship(actor=coordinator, shipment=shipment,
                                  shipped_at=timezone.now() - timedelta(hours=1), courier="DHL",
                                  tracking_number="JD0146", dry_ice=True)


def received(lab, shipment, aliquots, condition="frozen", **receipts):
    outcome = {a.label: receipts.get(a.label, "received") for a in aliquots}
    return services.shipment_receive(actor=lab, shipment=shipment, received_at=timezone.now(),
                                      arrival_condition=condition, receipts=outcome)


def results_csv(aliquots, qc="pass"):
    return HEAD + "".join(f"{a.label},2026-01-02T10:00:00+00:00,FTIR-QO-1,runs/{a.label}.csv,{qc}\n"
                          for a in aliquots)


# --- collection ---------------------------------------------------------------------------------


def test_draw_is_recorded_with_its_custody_event(baseline, coordinator):
    sample = draw(baseline, coordinator)
    assert (sample.status, sample.tube_type, sample.drawn_by) == (
        "collected", "10 mL K2-EDTA", "Nurse Salma")
    event = CustodyEvent.objects.get(sample=sample)
    assert (event.action, event.actor, event.at) == ("drawn", coordinator, sample.drawn_at)
    assert sample.history.get().history_user == coordinator


def test_a_visit_cannot_get_the_same_sample_twice(baseline, coordinator):
    draw(baseline, coordinator)
    with pytest.raises(ValidationError, match="already recorded"):
        draw(baseline, coordinator)
    with pytest.raises(ValidationError, match="already recorded"):
        services.sample_record_not_collected(actor=coordinator, visit=baseline, sample_code=LB,
                                             reason="Refused")


def test_a_visit_that_expects_no_sample_refuses_one(patient, coordinator):
    screening_visit = visit_of(patient, "SCR")
    with pytest.raises(ValidationError) as exc:
        draw(screening_visit, coordinator)
    assert fields(exc) == {"sample_code"}


def test_a_draw_in_the_future_or_without_who_is_refused(baseline, coordinator):
    with pytest.raises(ValidationError) as exc:
        draw(baseline, coordinator, drawn_at=timezone.now() + timedelta(hours=2))
    assert fields(exc) == {"drawn_at"}
    with pytest.raises(ValidationError) as exc:
        draw(baseline, coordinator, drawn_by="  ")
    assert fields(exc) == {"drawn_by"}


def test_a_missed_visit_takes_no_sample(baseline, coordinator):
    visit_services.visit_record_missed(actor=coordinator, visit=baseline, reason="Did not come")
    with pytest.raises(ValidationError, match="reported missed"):
        draw(visit_of(baseline.patient, "BL"), coordinator)


@pytest.mark.parametrize("role", [Role.MONITOR, Role.SPONSOR, Role.CENTRAL_LAB])
def test_only_the_sites_data_entry_roles_record_samples(world, baseline, role):
    with pytest.raises(PermissionDenied):
        draw(baseline, world.users[role])


def test_another_sites_coordinator_cannot_record_here(world, baseline):
    with pytest.raises(PermissionDenied):
        draw(baseline, site_coordinator(world.site_a2))


def test_not_collected_needs_a_reason_and_is_then_missing_not_absent(baseline, coordinator):
    with pytest.raises(ValidationError) as exc:
        services.sample_record_not_collected(actor=coordinator, visit=baseline, sample_code=LB,
                                             reason=" ")
    assert fields(exc) == {"reason"}
    sample = services.sample_record_not_collected(
        actor=coordinator, visit=baseline, sample_code=LB, reason="Vein access failed")
    assert (sample.status, sample.drawn_at) == ("not_collected", None)
    with pytest.raises(ValidationError, match="not collected"):
        now = timezone.now()
        services.sample_process(actor=coordinator, sample=Sample.objects.get(pk=sample.pk),
                                centrifuge_started_at=now, frozen_at=now, haemolysis="none",
                                aliquot_count=4, aliquot_volume_ml=Decimal("0.5"))


# --- processing ---------------------------------------------------------------------------------


def test_processing_makes_labelled_aliquots_and_times(processed, patient):
    sample = Sample.objects.get(pk=processed.pk)
    assert (sample.status, sample.draw_to_centrifuge_minutes, sample.draw_to_freeze_minutes,
            sample.deviations) == ("processed", 45, 150, [])
    labels = list(Aliquot.objects.filter(sample=sample).values_list("label", "volume_ml",
                                                                    "status"))
    assert labels == [(f"{patient.subject_id}-BL-LB-0{n}", Decimal("0.50"), "created")
                      for n in range(1, 5)]
    assert Aliquot.history.filter(sample_id=sample.pk).count() == 4


def test_processing_beyond_the_limits_stores_the_deviations(baseline, coordinator):
    sample = process(draw(baseline, coordinator), coordinator, centrifuge_after=150,
                     freeze_after=300)
    stored = Sample.objects.get(pk=sample.pk)
    assert stored.deviations == ["centrifuge_delay", "freeze_delay"]
    assert stored.deviation_text == (
        "Centrifugation started 2 h 30 min after the draw; the sample plan allows 2 h (an "
        "assumed limit: the registry text gives none); Aliquots frozen 5 h after the draw; the "
        "sample plan allows 4 h (an assumed limit: the registry text gives none)")
    assert "Pre-analytical deviation" in CustodyEvent.objects.get(
        sample=sample, action="processed").detail


def test_processing_twice_or_out_of_order_is_refused(baseline, coordinator):
    sample = draw(baseline, coordinator)
    with pytest.raises(ValidationError) as exc:
        process(sample, coordinator, centrifuge_after=-10)
    assert fields(exc) == {"centrifuge_started_at"}
    with pytest.raises(ValidationError) as exc:
        process(sample, coordinator, centrifuge_after=60, freeze_after=30)
    assert fields(exc) == {"frozen_at"}
    with pytest.raises(ValidationError) as exc:
        process(sample, coordinator, aliquot_count=0)
    assert fields(exc) == {"aliquot_count"}
    process(sample, coordinator)
    with pytest.raises(ValidationError, match="already processed"):
        process(Sample.objects.get(pk=sample.pk), coordinator)


def test_processing_from_a_stale_version_is_refused(baseline, coordinator):
    sample = draw(baseline, coordinator)
    with pytest.raises(StaleVersion):
        process(sample, coordinator, expected_version=sample.version + 1)
    assert not Aliquot.objects.exists()


# --- storage ------------------------------------------------------------------------------------


def test_storing_puts_the_aliquot_in_its_position(stored, box):
    first = Aliquot.objects.get(pk=stored[0].pk)
    assert (first.status, first.box, first.position) == ("stored", box, "A1")
    event = CustodyEvent.objects.get(aliquot=first, action="stored")
    assert event.location == f"{box} A1"


def test_an_occupied_or_outside_position_is_refused(processed, box, coordinator):
    one, two = processed.created_aliquots[:2]
    services.aliquot_store(actor=coordinator, aliquot=one, box=box, row=3, column=3)
    with pytest.raises(ValidationError, match="already holds") as exc:
        services.aliquot_store(actor=coordinator, aliquot=two, box=box, row=3, column=3)
    assert fields(exc) == {"position"}
    with pytest.raises(ValidationError) as exc:
        services.aliquot_store(actor=coordinator, aliquot=two, box=box, row=10, column=1)
    assert fields(exc) == {"position"}


def test_a_stored_aliquot_can_move_and_the_move_is_in_the_chain(stored, box, coordinator):
    aliquot = services.aliquot_store(actor=coordinator, aliquot=stored[0], box=box, row=9,
                                     column=9)
    assert aliquot.position == "I9"
    assert CustodyEvent.objects.get(aliquot=aliquot, action="moved").detail == f"from {box} A1"


def test_a_box_of_another_site_is_refused(world, stored):
    other = services.storage_create(actor=site_coordinator(world.site_a2), site=world.site_a2,
                                    freezer_name="F", rack_name="R", box_name="B")
    with pytest.raises(ValidationError) as exc:
        services.aliquot_store(actor=site_coordinator(world.site_a1), aliquot=stored[0],
                               box=other, row=1, column=1)
    assert fields(exc) == {"box"}


def test_a_consumed_aliquot_cannot_be_stored(world, stored, box, coordinator, lab):
    shipment = shipped(world, coordinator, stored[:1])
    received(lab, shipment, stored[:1])
    services.results_upload(actor=lab, study=world.study_a, text=results_csv(stored[:1]),
                            file_name="r.csv")
    consumed = Aliquot.objects.get(pk=stored[0].pk)
    assert consumed.status == "consumed"
    with pytest.raises(ValidationError, match="consumed"):
        services.aliquot_store(actor=coordinator, aliquot=consumed, box=box, row=5, column=5)


def test_the_database_refuses_two_aliquots_in_one_position(stored, box, coordinator):
    """Even a write that skips the service cannot put a second aliquot where one is."""
    intruder = Aliquot.objects.get(pk=stored[1].pk)
    intruder.box, intruder.position_row, intruder.position_column = box, 1, 1
    intruder._history_user = coordinator
    intruder._change_reason = "bypassing the service"
    with pytest.raises(IntegrityError), transaction.atomic():
        intruder.save()
    assert Aliquot.objects.get(pk=stored[1].pk).position == "A2"


def test_the_database_refuses_half_a_position(stored, coordinator):
    aliquot = Aliquot.objects.get(pk=stored[0].pk)
    aliquot.position_row = None
    aliquot._history_user, aliquot._change_reason = coordinator, "bypass"
    with pytest.raises(IntegrityError), transaction.atomic():
        aliquot.save()


# --- shipments ----------------------------------------------------------------------------------


def test_only_the_protocols_laboratories_receive_shipments(world, coordinator):
    with pytest.raises(ValidationError) as exc:
        new_shipment(world, coordinator, lab="ELSEWHERE")
    assert fields(exc) == {"destination_lab"}
    assert new_shipment(world, coordinator, lab="RAMAN").reference == "AONE-SH001"


def test_an_aliquot_not_in_storage_cannot_be_shipped(world, processed, coordinator):
    shipment = new_shipment(world, coordinator)
    with pytest.raises(ValidationError, match="not in storage yet") as exc:
        services.shipment_add_aliquots(actor=coordinator, shipment=shipment,
                                       aliquots=processed.created_aliquots[:1])
    assert fields(exc) == {"aliquots"}


def test_an_aliquot_in_a_shipment_cannot_join_another_or_move(world, stored, box, coordinator):
    first = new_shipment(world, coordinator)
    services.shipment_add_aliquots(actor=coordinator, shipment=first, aliquots=stored[:2])
    reserved = refresh(stored[:2])
    assert {a.status for a in reserved} == {"in_shipment"}
    assert reserved[0].position == "A1"  # stays in its position until shipped
    with pytest.raises(ValidationError, match="already in a shipment"):
        services.shipment_add_aliquots(actor=coordinator, shipment=new_shipment(
            world, coordinator), aliquots=reserved[:1])
    with pytest.raises(ValidationError, match="in a shipment"):
        services.aliquot_store(actor=coordinator, aliquot=reserved[0], box=box, row=8, column=8)


def test_removing_from_a_draft_returns_the_aliquot_to_storage(world, stored, coordinator):
    shipment = new_shipment(world, coordinator)
    services.shipment_add_aliquots(actor=coordinator, shipment=shipment, aliquots=stored[:2])
    aliquot = Aliquot.objects.get(pk=stored[0].pk)
    services.shipment_remove_aliquot(actor=coordinator, shipment=shipment, aliquot=aliquot)
    assert Aliquot.objects.get(pk=aliquot.pk).status == "stored"
    assert [a.label for a in services.shipment_aliquots(shipment)] == [stored[1].label]


def test_shipping_frees_the_positions_and_logs_each_aliquot(world, stored, coordinator):
    shipment = shipped(world, coordinator, stored[:2])
    assert Shipment.objects.get(pk=shipment.pk).status == "shipped"
    for aliquot in refresh(stored[:2]):
        assert (aliquot.status, aliquot.box, aliquot.position) == ("shipped", None, "")
        event = CustodyEvent.objects.get(aliquot=aliquot, action="shipped")
        assert "JD0146" in event.detail and "from" in event.location
    assert Aliquot.objects.get(pk=stored[2].pk).status == "stored"


def test_a_shipped_shipment_cannot_change_or_ship_again(world, stored, coordinator):
    shipment = shipped(world, coordinator, stored[:1])
    with pytest.raises(ValidationError, match="cannot be shipped again"):
        services.shipment_add_aliquots(actor=coordinator, shipment=shipment,
                                       aliquots=refresh(stored[1:2]))
    with pytest.raises(ValidationError, match="cannot be shipped again"):
        services.shipment_ship(actor=coordinator, shipment=shipment, shipped_at=timezone.now(),
                               courier="DHL", tracking_number="2", dry_ice=True)
    with pytest.raises(ValidationError, match="already been shipped"):
        services.shipment_add_aliquots(actor=coordinator, shipment=new_shipment(
            world, coordinator), aliquots=refresh(stored[:1]))


def test_an_empty_shipment_or_one_without_tracking_is_not_shipped(world, stored, coordinator):
    shipment = new_shipment(world, coordinator)
    with pytest.raises(ValidationError, match="no aliquots"):
        services.shipment_ship(actor=coordinator, shipment=shipment, shipped_at=timezone.now(),
                               courier="DHL", tracking_number="1", dry_ice=True)
    services.shipment_add_aliquots(actor=coordinator, shipment=shipment, aliquots=stored[:1])
    with pytest.raises(ValidationError) as exc:
        services.shipment_ship(actor=coordinator, shipment=shipment, shipped_at=timezone.now(),
                               courier="DHL", tracking_number=" ", dry_ice=True)
    assert fields(exc) == {"tracking_number"}


# --- receipt ------------------------------------------------------------------------------------


def test_receipt_records_each_aliquot_and_the_discrepancies(world, stored, coordinator, lab):
    shipment = shipped(world, coordinator, stored)
    labels = [a.label for a in stored]
    done = received(lab, shipment, stored, **{labels[1]: "missing", labels[2]: "damaged"})
    assert done.status == "received"
    assert done.discrepancies == (f"1 aliquot(s) missing: {labels[1]}; "
                                  f"1 aliquot(s) damaged: {labels[2]}")
    assert [a.status for a in refresh(stored)] == ["received", "missing", "damaged", "received"]
    assert CustodyEvent.objects.filter(shipment=shipment, action="missing").count() == 1


def test_a_thawed_arrival_counts_a_freeze_thaw_cycle(world, stored, coordinator, lab):
    received(lab, shipped(world, coordinator, stored[:2]), stored[:2], condition="partly_thawed")
    assert [a.freeze_thaw_count for a in refresh(stored[:2])] == [1, 1]


def test_a_shipment_cannot_be_received_twice(world, stored, coordinator, lab):
    shipment = shipped(world, coordinator, stored[:1])
    received(lab, shipment, stored[:1])
    with pytest.raises(ValidationError, match="already been received"):
        received(lab, Shipment.objects.get(pk=shipment.pk), stored[:1])


def test_a_draft_cannot_be_received(world, stored, coordinator, lab):
    shipment = new_shipment(world, coordinator)
    services.shipment_add_aliquots(actor=coordinator, shipment=shipment, aliquots=stored[:1])
    with pytest.raises(ValidationError, match="not been shipped"):
        received(lab, shipment, stored[:1])


def test_every_aliquot_needs_a_receipt_and_strangers_are_named(world, stored, coordinator, lab):
    shipment = shipped(world, coordinator, stored[:2])
    with pytest.raises(ValidationError) as exc:
        services.shipment_receive(actor=lab, shipment=shipment, received_at=timezone.now(),
                                  arrival_condition="frozen",
                                  receipts={stored[0].label: "received", "NOPE-1": "received"})
    messages = exc.value.message_dict["receipts"]
    assert messages == ["NOPE-1 is not in this shipment.",
                        f"{stored[1].label}: say whether it was received, missing or damaged."]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.MONITOR, Role.SPONSOR])
def test_only_the_central_lab_receives(world, stored, coordinator, role):
    shipment = shipped(world, coordinator, stored[:1])
    with pytest.raises(PermissionDenied):
        received(world.users[role], shipment, stored[:1])


# --- results ------------------------------------------------------------------------------------


def test_results_link_each_row_to_its_aliquot_and_consume_it(world, stored, coordinator, lab):
    received(lab, shipped(world, coordinator, stored[:2]), stored[:2])
    manifest = services.results_upload(actor=lab, study=world.study_a,
                                       text=results_csv(stored[:2]), file_name="run-7.csv")
    assert manifest.row_count == 2
    results = AliquotResult.objects.order_by("aliquot__label")
    assert [(r.aliquot_id, r.instrument, r.qc_status) for r in results] == [
        (stored[0].pk, "FTIR-QO-1", "pass"), (stored[1].pk, "FTIR-QO-1", "pass")]
    assert {a.status for a in refresh(stored[:2])} == {"consumed"}
    assert CustodyEvent.objects.filter(action="result").count() == 2


def test_one_bad_row_imports_nothing_and_every_error_is_reported(world, stored, coordinator,
                                                                  lab):
    received(lab, shipped(world, coordinator, stored[:3]), stored[:3])
    text = results_csv(stored[:2]) + results_csv(stored[:1])[len(HEAD):] + (
        "UNKNOWN-1,2026-01-02T10:00:00Z,FTIR,x.csv,pass\n")
    with pytest.raises(services.ManifestRejected) as exc:
        services.results_upload(actor=lab, study=world.study_a, text=text, file_name="bad.csv")
    assert [(r.line, r.errors) for r in exc.value.rows if r.errors] == [
        (4, [f"{stored[0].label} is also on line 2: one result per aliquot"]),
        (5, ["unknown aliquot label UNKNOWN-1"])]
    assert not AliquotResult.objects.exists()
    assert {a.status for a in refresh(stored[:3])} == {"received"}


def test_a_missing_aliquot_or_a_second_result_is_refused(world, stored, coordinator, lab):
    received(lab, shipped(world, coordinator, stored[:2]), stored[:2],
             **{stored[1].label: "missing"})
    with pytest.raises(services.ManifestRejected):
        services.results_upload(actor=lab, study=world.study_a, text=results_csv(stored[1:2]),
                                file_name="r.csv")
    services.results_upload(actor=lab, study=world.study_a, text=results_csv(stored[:1]),
                            file_name="r.csv")
    with pytest.raises(services.ManifestRejected):
        services.results_upload(actor=lab, study=world.study_a, text=results_csv(stored[:1]),
                                file_name="again.csv")


def test_results_of_another_study_are_unknown_labels(world, stored, coordinator, lab):
    received(lab, shipped(world, coordinator, stored[:1]), stored[:1])
    with pytest.raises(PermissionDenied):
        services.results_upload(actor=lab, study=world.study_b, text=results_csv(stored[:1]),
                                file_name="r.csv")
    with pytest.raises(PermissionDenied):
        services.results_upload(actor=coordinator, study=world.study_a,
                                text=results_csv(stored[:1]), file_name="r.csv")


# --- custody and audit --------------------------------------------------------------------------


def test_custody_events_are_append_only(processed, coordinator):
    event = CustodyEvent.objects.filter(sample=processed).first()
    event.detail = "rewritten"
    with pytest.raises(AuditError, match="append-only"):
        audited_save(event, actor=coordinator, reason="try")
    with pytest.raises(AuditError):
        CustodyEvent.objects.filter(pk=event.pk).update(detail="x")
    with pytest.raises(AuditError):
        event.delete()


def test_the_whole_chain_reads_in_order(world, stored, coordinator, lab):
    received(lab, shipped(world, coordinator, stored[:1]), stored[:1])
    actions = list(CustodyEvent.objects.filter(sample=stored[0].sample).filter(
        aliquot__isnull=True).values_list("action", flat=True)) + list(
        CustodyEvent.objects.filter(aliquot=stored[0]).order_by("id").values_list(
            "action", flat=True))
    assert actions == ["drawn", "processed", "stored", "added", "shipped", "received"]


def test_every_write_has_a_history_row_with_its_user(world, stored, coordinator, lab):
    received(lab, shipped(world, coordinator, stored[:1]), stored[:1])
    aliquot_history = Aliquot.history.filter(id=stored[0].pk).order_by("history_id")
    assert [(h.status, h.history_user_id) for h in aliquot_history] == [
        ("created", coordinator.pk), ("stored", coordinator.pk), ("in_shipment", coordinator.pk),
        ("shipped", coordinator.pk), ("received", lab.pk)]
    assert all(h.history_change_reason for h in aliquot_history[1:])


def test_draw_time_is_kept_in_utc_from_the_sites_local_time(baseline):
    assert drawn_at(baseline).utcoffset() is not None


# --- lineage ------------------------------------------------------------------------------------


def test_a_split_keeps_the_lineage_and_counts_the_thaw(stored, coordinator):
    parent = Aliquot.objects.get(pk=stored[0].pk)
    children = services.aliquot_split(actor=coordinator, aliquot=parent, count=2,
                                      volume_ml=Decimal("0.25"))
    assert [(c.label, c.parent_id, c.volume_ml, c.freeze_thaw_count, c.status)
            for c in children] == [
        (f"{parent.label}.{n}", parent.pk, Decimal("0.25"), 1, "created") for n in (1, 2)]
    used = Aliquot.objects.get(pk=parent.pk)
    assert (used.status, used.box_id) == ("consumed", None)
    assert CustodyEvent.objects.get(aliquot=parent, action="split").detail.endswith(
        f"{parent.label}.2")
    with pytest.raises(ValidationError, match="used up"):
        services.aliquot_split(actor=coordinator, aliquot=used, count=2,
                               volume_ml=Decimal("0.1"))


def test_a_split_cannot_make_plasma_or_touch_a_shipped_aliquot(world, stored, coordinator):
    with pytest.raises(ValidationError) as exc:
        services.aliquot_split(actor=coordinator, aliquot=stored[0], count=3,
                               volume_ml=Decimal("0.25"))
    assert fields(exc) == {"volume_ml"}
    shipped(world, coordinator, stored[1:2])
    with pytest.raises(ValidationError, match="cannot be split"):
        services.aliquot_split(actor=coordinator, aliquot=Aliquot.objects.get(pk=stored[1].pk),
                               count=2, volume_ml=Decimal("0.1"))


# --- corrections and discards -------------------------------------------------------------------


def test_correcting_the_draw_time_recomputes_the_delays_and_records_why(processed, coordinator):
    """Drawn at 09:00 and centrifuged at 09:45: the draw was really at 07:00, so the
    centrifugation came 2 h 45 min after it, a deviation (limit 2 h)."""
    written = processed.drawn_at
    earlier = written - timedelta(hours=2)
    sample = services.sample_correct(actor=coordinator, sample=processed, expected_version=2,
                                     reason="Time copied from the wrong tube", drawn_at=earlier)
    sample = Sample.objects.get(pk=processed.pk)
    assert sample.drawn_at == earlier and sample.version == 3
    assert (sample.draw_to_centrifuge_minutes, sample.draw_to_freeze_minutes) == (165, 270)
    assert sample.deviations == ["centrifuge_delay", "freeze_delay"]
    last = sample.history.first()
    assert (last.history_user, last.history_change_reason) == (
        coordinator, "Time copied from the wrong tube")
    event = CustodyEvent.objects.filter(sample=sample).order_by("pk").last()
    assert event.action == CustodyEvent.Action.CORRECTED
    assert "drawn at" in event.detail and "07:00" in event.detail and "09:00" in event.detail
    assert "Time copied from the wrong tube" in event.detail
    # The draw step of the chain stays as it was written.
    drawn = CustodyEvent.objects.get(sample=sample, action=CustodyEvent.Action.DRAWN)
    assert drawn.at == written


def test_a_refused_correction_changes_nothing(processed, coordinator):
    before = Sample.objects.get(pk=processed.pk)
    cases = [
        ({"frozen_at": processed.centrifuge_started_at - timedelta(minutes=5)}, "frozen_at"),
        ({"drawn_at": processed.centrifuge_started_at + timedelta(minutes=1)},
         "centrifuge_started_at"),
        ({"drawn_by": "  "}, "drawn_by"),
        ({"drawn_at": timezone.now() + timedelta(days=1)}, "drawn_at"),
    ]
    for values, field in cases:
        with pytest.raises(ValidationError) as refused:
            services.sample_correct(actor=coordinator, sample=Sample.objects.get(pk=processed.pk),
                                    expected_version=2, reason="Typo", **values)
        assert field in refused.value.message_dict, values
    with pytest.raises(ValidationError) as refused:
        services.sample_correct(actor=coordinator, sample=Sample.objects.get(pk=processed.pk),
                                expected_version=2, reason=" ", drawn_by="Nurse Omar")
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError, match="nothing to correct"):
        services.sample_correct(actor=coordinator, sample=Sample.objects.get(pk=processed.pk),
                                expected_version=2, reason="Typo", drawn_by="Nurse Salma")
    with pytest.raises(StaleVersion):
        services.sample_correct(actor=coordinator, sample=Sample.objects.get(pk=processed.pk),
                                expected_version=1, reason="Typo", drawn_by="Nurse Omar")
    after = Sample.objects.get(pk=processed.pk)
    assert (after.version, after.drawn_at, after.frozen_at, after.drawn_by) == (
        before.version, before.drawn_at, before.frozen_at, before.drawn_by)


def test_processing_times_are_corrected_only_once_processed(baseline, coordinator, world):
    sample = draw(baseline, coordinator)
    with pytest.raises(ValidationError, match="not processed yet"):
        services.sample_correct(actor=coordinator, sample=sample, expected_version=1,
                                reason="Typo", frozen_at=sample.drawn_at)
    fixed = services.sample_correct(actor=coordinator, sample=sample, expected_version=1,
                                    reason="Name misspelt", drawn_by="Nurse Salmá")
    assert fixed.drawn_by == "Nurse Salmá" and fixed.status == Sample.Status.COLLECTED
    monitor = world.users[Role.MONITOR]
    with pytest.raises(PermissionDenied):
        services.sample_correct(actor=monitor, sample=fixed, expected_version=2,
                                reason="Typo", drawn_by="X")


def test_discarding_an_aliquot_frees_its_position_and_ends_it(stored, coordinator, box):
    aliquot = stored[0]
    with pytest.raises(ValidationError) as refused:
        services.aliquot_discard(actor=coordinator, aliquot=aliquot, reason="")
    assert "reason" in refused.value.message_dict
    services.aliquot_discard(actor=coordinator, aliquot=aliquot, reason="Tube cracked")
    aliquot = Aliquot.objects.get(pk=aliquot.pk)
    assert aliquot.status == AliquotStatus.DISCARDED and aliquot.box_id is None
    event = CustodyEvent.objects.filter(aliquot=aliquot).order_by("pk").last()
    assert (event.action, event.detail) == (CustodyEvent.Action.DISCARDED, "Tube cracked")
    assert "A1" in event.location
    # Its position takes another aliquot; the discarded one takes nothing more.
    services.aliquot_store(actor=coordinator, aliquot=stored[1], box=box, row=1, column=1)
    for action in (lambda: services.aliquot_discard(actor=coordinator, aliquot=aliquot,
                                                    reason="again"),
                   lambda: services.aliquot_store(actor=coordinator, aliquot=aliquot, box=box,
                                                  row=2, column=1)):
        with pytest.raises(ValidationError, match="discarded"):
            action()


def test_a_baseline_drawn_after_the_first_dose_is_a_pre_analytical_deviation(baseline,
                                                                            coordinator):
    # ICRG0201: the baseline is drawn "at enrolment", before palbociclib starts on D1.
    assert baseline.target_date == baseline.patient.enrolment.day1  # BL is on D1
    late = drawn_at(baseline) + timedelta(days=2)
    sample = draw(baseline, coordinator, drawn_at=late)
    stored = Sample.objects.get(pk=sample.pk)
    assert stored.deviations == ["baseline_after_first_dose"]
    assert "2 days after the first dose on D1" in stored.deviation_text
    assert "not a pre-treatment sample" in CustodyEvent.objects.get(
        sample=sample, action="drawn").detail
    processed = process(stored, coordinator, centrifuge_after=150)
    assert Sample.objects.get(pk=processed.pk).deviations == [
        "baseline_after_first_dose", "centrifuge_delay"]


def test_a_baseline_drawn_on_d1_is_no_deviation_and_a_corrected_late_time_becomes_one(
        baseline, coordinator):
    assert baseline.target_date == baseline.patient.enrolment.day1  # BL is on D1
    on_d1 = drawn_at(baseline)
    sample = draw(baseline, coordinator, drawn_at=on_d1)
    assert sample.deviations == []
    corrected = services.sample_correct(
        actor=coordinator, sample=sample, expected_version=sample.version,
        reason="Wrong day entered", drawn_at=on_d1 + timedelta(days=1))
    assert corrected.deviations == ["baseline_after_first_dose"]


# --- laboratories -------------------------------------------------------------------------------


def _raman_lab(world):
    from tests.factories import UserFactory, grant

    return grant(UserFactory(username="raman-lab"), Role.CENTRAL_LAB, study=world.study_a,
                 laboratory="RAMAN")


def test_a_laboratory_sees_and_receives_only_shipments_addressed_to_it(
        world, stored, coordinator, lab):
    raman = _raman_lab(world)
    to_qolab = shipped(world, coordinator, stored[:1])
    assert list(Shipment.objects.lab_visible_to(raman)) == []
    assert list(Shipment.objects.visible_to_any_role(raman)) == []
    assert list(Aliquot.objects.lab_visible_to(raman)) == []
    with pytest.raises(PermissionDenied, match="addressed to"):
        received(raman, to_qolab, stored[:1])
    assert list(Shipment.objects.lab_visible_to(lab)) == [to_qolab]
    received(lab, to_qolab, stored[:1])
    with pytest.raises(ValidationError):  # the RAMAN lab cannot report on QOLAB's aliquots
        services.results_upload(actor=raman, study=world.study_a,
                                text=results_csv(stored[:1]), file_name="run.csv")


def test_a_central_lab_membership_names_one_of_the_protocols_laboratories(world):
    from tests.factories import UserFactory, grant

    with pytest.raises(ValidationError, match="QOLAB, RAMAN"):
        grant(UserFactory(username="nolab"), Role.CENTRAL_LAB, study=world.study_a,
              laboratory="ELSEWHERE")
    with pytest.raises(ValidationError, match="Only the central laboratory"):
        grant(UserFactory(username="coordlab"), Role.COORDINATOR, site=world.site_a1,
              laboratory="QOLAB")
