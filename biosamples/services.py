"""Every write to samples, aliquots, storage, shipments and results.

Each service checks who may act, enforces the lifecycle (``biosamples.domain.lifecycle``), saves
audited (acting user, reason for changes) in one transaction, and appends the custody events.
Refusals are ``ValidationError`` with the field they concern, in words a coordinator understands.
"""

from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Func, IntegerField, OuterRef, Q
from django.utils import timezone

from biosamples.domain import lifecycle
from biosamples.domain.labels import aliquot_label, position_name
from biosamples.domain.lifecycle import (
    AliquotStatus,
    Receipt,
    ShipmentStatus,
    TransitionRefused,
)
from biosamples.domain.manifest import ManifestError, parse_manifest
from biosamples.domain.processing import (
    Limits,
    ProcessingError,
    check_split,
    first_dose_deviation,
    processing_timing,
)
from biosamples.models import (
    Aliquot,
    AliquotResult,
    Box,
    CustodyEvent,
    Freezer,
    Rack,
    ResultsManifest,
    Sample,
    SampleFlag,
    Shipment,
    ShipmentItem,
)
from trialsite import access
from trialsite.audit import (
    audited_queryset_update,
    audited_save,
    bulk_create_audited,
    bulk_update_audited,
    check_version,
)
from trialsite.models import Membership, Role
from trialsite.protocols import all_protocols
from visits.models import Visit


class JSONArrayLength(Func):
    """The length of a JSON list column, on SQLite and PostgreSQL."""

    function = "json_array_length"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="jsonb_array_length", **extra)


CLOSED_VISIT_STATUSES = frozenset({Visit.Status.MISSED, Visit.Status.CANCELLED})
#: Visits whose expected samples must exist (drawn or not collected) once the visit is done.
DONE_VISIT_STATUSES = (Visit.Status.COMPLETED, Visit.Status.INCOMPLETE)


def _refuse(field, message):
    raise ValidationError({field: message} if field else message)


def _transition(current, action, *, field=None, label=None, **kwargs):
    try:
        return lifecycle.aliquot_next_status(current, action, **kwargs)
    except TransitionRefused as exc:
        text = f"{label}: {exc}" if label else str(exc)
        raise ValidationError({field: text} if field else text) from None


def _shipment_check(shipment, action):
    try:
        lifecycle.shipment_check(shipment.status, action)
    except TransitionRefused as exc:
        raise ValidationError(str(exc)) from None


def sample_plan_of(site):
    plan = site.study.protocol.sample_plan
    if plan is None:
        raise ValidationError(f"{site.study.code} declares no sample plan.")
    return plan


def _not_future(site, field, value, what):
    if value is not None and value > timezone.now() + timedelta(minutes=5):
        _refuse(field, f"{what} is in the future at the site ({site.time_zone}).")


def _custody(*, actor, sample, action, at=None, aliquot=None, shipment=None, location="",
             detail=""):
    return CustodyEvent(site_id=sample.site_id, sample=sample, aliquot=aliquot,
                        shipment=shipment, action=action, at=at or timezone.now(), actor=actor,
                        location=location, detail=detail)


def _custody_save(events, *, actor):
    if len(events) == 1:
        audited_save(events[0], actor=actor)
    elif events:
        bulk_create_audited(CustodyEvent, events, actor=actor)


def _expected(visit, sample_code):
    if sample_code not in visit.samples:
        _refuse("sample_code", f"{visit.code} does not expect a {sample_code} sample.")
    if visit.status in CLOSED_VISIT_STATUSES:
        _refuse(None, f"{visit.code} was reported {visit.get_status_display().lower()}: it "
                      "takes no samples.")
    if Sample.objects.active().filter(visit=visit, sample_code=sample_code).exists():
        _refuse("sample_code", f"The {sample_code.replace('_', ' ')} of {visit.code} is already "
                               "recorded.")


# --- collection ---------------------------------------------------------------------------------


def sample_record_draw(*, actor, visit, sample_code, drawn_at, drawn_by, tube_type=None,
                       reason=None):
    """Record the draw of an expected sample at ``visit``."""
    site = visit.patient.site
    access.require_data_entry(actor, site)
    sample_type = sample_plan_of(site).sample_type(sample_code) if sample_code in (
        visit.samples) else None
    _expected(visit, sample_code)
    _not_future(site, "drawn_at", drawn_at, "The draw time")
    if not (drawn_by or "").strip():
        _refuse("drawn_by", "Say who drew the sample.")
    with transaction.atomic():
        sample = Sample(
            site=site, visit=visit, sample_code=sample_code, status=Sample.Status.COLLECTED,
            drawn_at=drawn_at, drawn_by=drawn_by.strip(),
            tube_type=(tube_type or sample_type.tube_type).strip(),
        )
        _apply_deviations(sample, None)
        audited_save(sample, actor=actor, reason=reason)
        detail = f"{sample.tube_type}, drawn by {sample.drawn_by}"
        if sample.deviation_text:
            detail += f". Pre-analytical deviation: {sample.deviation_text}"
        _custody_save([_custody(actor=actor, sample=sample, action=CustodyEvent.Action.DRAWN,
                                at=drawn_at, location=site.name, detail=detail)],
                      actor=actor)
    return sample


def sample_record_not_collected(*, actor, visit, sample_code, reason):
    """Record that an expected sample was not collected, and why: missing, never silent."""
    site = visit.patient.site
    access.require_data_entry(actor, site)
    if not (reason or "").strip():
        _refuse("reason", "Say why the sample was not collected.")
    _expected(visit, sample_code)
    with transaction.atomic():
        sample = audited_save(Sample(
            site=site, visit=visit, sample_code=sample_code, status=Sample.Status.NOT_COLLECTED,
            not_collected_reason=reason.strip()), actor=actor)
        _custody_save([_custody(actor=actor, sample=sample,
                                action=CustodyEvent.Action.NOT_COLLECTED,
                                detail=reason.strip())], actor=actor)
    return sample


def _timing(sample_type, *, drawn_at, centrifuge_started_at, frozen_at):
    """The processing delays and deviations under the sample type's limits; times out of
    order are refused at their field."""
    try:
        return processing_timing(drawn_at=drawn_at, centrifuge_started_at=centrifuge_started_at,
                                 frozen_at=frozen_at, limits=Limits(
                                     sample_type.max_draw_to_centrifuge_minutes,
                                     sample_type.max_draw_to_freeze_minutes,
                                     assumed=sample_type.assumed))
    except ProcessingError as exc:
        raise ValidationError({exc.field: str(exc)}) from None


def _draw_deviations(sample):
    """Deviations of the draw itself: a pre-treatment sample drawn after the first dose (D1)."""
    site, visit = sample.site, sample.visit
    if sample.drawn_at is None:
        return ()
    sample_type = sample_plan_of(site).sample_type(sample.sample_code)
    enrolment = getattr(visit.patient, "enrolment", None)
    deviation = first_dose_deviation(
        visit_code=visit.code, pre_treatment_visits=sample_type.pre_treatment_visits,
        drawn_on=timezone.localtime(sample.drawn_at, ZoneInfo(site.time_zone)).date(),
        first_dose_on=enrolment.day1 if enrolment is not None else None)
    return (deviation,) if deviation else ()


def _apply_deviations(sample, timing):
    """Store the draw's deviations and, once processed, the delays and their deviations;
    returns the fields it set."""
    deviations = [*_draw_deviations(sample), *(timing.deviations if timing else ())]
    sample.deviations = [d.code for d in deviations]
    sample.deviation_text = "; ".join(d.message for d in deviations)
    changed = {"deviations", "deviation_text"}
    if timing is not None:
        sample.draw_to_centrifuge_minutes = timing.draw_to_centrifuge_minutes
        sample.draw_to_freeze_minutes = timing.draw_to_freeze_minutes
        changed |= {"draw_to_centrifuge_minutes", "draw_to_freeze_minutes"}
    return changed


def sample_process(*, actor, sample, centrifuge_started_at, haemolysis, frozen_at,
                   aliquot_count, aliquot_volume_ml, expected_version=None, reason=None):
    """Record processing, compute the delays and deviations, and create the labelled aliquots."""
    site = sample.site
    access.require_data_entry(actor, site)
    check_version(sample, expected_version)
    if sample.status == Sample.Status.NOT_COLLECTED:
        _refuse(None, "This sample was not collected: there is nothing to process.")
    if sample.status == Sample.Status.PROCESSED:
        _refuse(None, "This sample is already processed; its aliquots exist.")
    sample_type = sample_plan_of(site).sample_type(sample.sample_code)
    _not_future(site, "centrifuge_started_at", centrifuge_started_at, "Centrifugation")
    _not_future(site, "frozen_at", frozen_at, "Freezing")
    timing = _timing(sample_type, drawn_at=sample.drawn_at,
                     centrifuge_started_at=centrifuge_started_at, frozen_at=frozen_at)
    try:
        check_split(count=aliquot_count, volume_ml=aliquot_volume_ml,
                    max_count=sample_type.max_aliquot_count)
    except ProcessingError as exc:
        raise ValidationError({exc.field: str(exc)}) from None
    visit = sample.visit
    subject_id = visit.patient.subject_id
    with transaction.atomic():
        sample.status = Sample.Status.PROCESSED
        sample.centrifuge_started_at = centrifuge_started_at
        sample.haemolysis = haemolysis
        sample.frozen_at = frozen_at
        sample.aliquot_count = aliquot_count
        sample.aliquot_volume_ml = aliquot_volume_ml
        _apply_deviations(sample, timing)
        audited_save(sample, actor=actor, reason=reason or "Sample processed")
        aliquots = bulk_create_audited(Aliquot, [
            Aliquot(site=site, sample=sample, number=n, volume_ml=aliquot_volume_ml,
                    label=aliquot_label(subject_id=subject_id, visit_code=visit.code,
                                        label_code=sample_type.label_code, number=n))
            for n in range(1, aliquot_count + 1)
        ], actor=actor, reason="Aliquot created at processing")
        aliquots = list(Aliquot.objects.filter(sample=sample).order_by("number"))
        detail = (f"{aliquot_count} × {aliquot_volume_ml} mL; haemolysis {haemolysis}; "
                  f"centrifuged after {timing.draw_to_centrifuge_minutes} min, frozen after "
                  f"{timing.draw_to_freeze_minutes} min")
        if sample.deviation_text:
            detail += f". Pre-analytical deviation: {sample.deviation_text}"
        _custody_save([_custody(actor=actor, sample=sample, action=CustodyEvent.Action.PROCESSED,
                                at=frozen_at, location=site.name, detail=detail)], actor=actor)
    sample.created_aliquots = aliquots
    return sample


def _local(site, value):
    """A time as the site reads it, for custody details."""
    if value is None:
        return "—"
    return timezone.localtime(value, ZoneInfo(site.time_zone)).strftime("%Y-%m-%d %H:%M")


_CORRECTABLE = {
    "drawn_at": "drawn at", "drawn_by": "drawn by", "tube_type": "tube",
    "centrifuge_started_at": "centrifugation started", "haemolysis": "haemolysis",
    "frozen_at": "frozen at",
}
_PROCESSING_FIELDS = ("centrifuge_started_at", "haemolysis", "frozen_at")


def sample_correct(*, actor, sample, expected_version, reason, **values):
    """Correct what was recorded of a draw (time, who, tube) and, once processed, of its
    processing (centrifugation and freezing times, haemolysis).

    The delays and pre-analytical deviations are computed again from the corrected times; the
    change is saved audited with the reason, and the chain of custody gets a ``corrected`` step
    saying what changed (the earlier steps stay as they were written). The number and volume of
    aliquots are not corrected here: the aliquots exist, with labels; split or discard them.
    """
    site = sample.site
    access.require_data_entry(actor, site)
    check_version(sample, expected_version)
    unknown = set(values) - set(_CORRECTABLE)
    if unknown:
        raise ValueError(f"not correctable here: {', '.join(sorted(unknown))}")
    if sample.status == Sample.Status.NOT_COLLECTED:
        _refuse(None, "This sample was recorded as not collected: there is no draw to correct.")
    if sample.status != Sample.Status.PROCESSED and any(
            values.get(f) not in (None, "") for f in _PROCESSING_FIELDS):
        _refuse(None, "This sample is not processed yet: record its processing instead.")
    if not (reason or "").strip():
        _refuse("reason", "Say why the record is corrected.")
    for field in ("drawn_by", "tube_type"):
        if field in values:
            values[field] = (values[field] or "").strip()
            if not values[field]:
                _refuse(field, f"The {_CORRECTABLE[field]} cannot be left empty.")
    for field in ("drawn_at", "centrifuge_started_at", "frozen_at"):
        if field in values:
            if values[field] is None:
                _refuse(field, f"The {_CORRECTABLE[field]} time cannot be left empty.")
            _not_future(site, field, values[field], _CORRECTABLE[field].capitalize())
    changes = {f: v for f, v in values.items() if v != getattr(sample, f)}
    if not changes:
        _refuse(None, "Nothing differs from what is recorded: there is nothing to correct.")
    details = []
    for field, value in changes.items():
        before, after = getattr(sample, field), value
        if field.endswith("_at"):
            before, after = _local(site, before), _local(site, after)
        details.append(f"{_CORRECTABLE[field]} {before or '—'} → {after}")
    timing = None
    if sample.status == Sample.Status.PROCESSED:
        # Checked on the proposed values first: a refusal leaves the sample as it was.
        timing = _timing(sample_plan_of(site).sample_type(sample.sample_code),
                         **{f: changes.get(f, getattr(sample, f))
                            for f in ("drawn_at", "centrifuge_started_at", "frozen_at")})
    with transaction.atomic():
        for field, value in changes.items():
            setattr(sample, field, value)
        changed = set(changes)
        if timing is not None or "drawn_at" in changes:
            changed |= _apply_deviations(sample, timing)
        audited_save(sample, actor=actor, reason=reason.strip(), changed=changed)
        detail = "; ".join(details) + f". Reason: {reason.strip()}"
        if sample.status == Sample.Status.PROCESSED or "drawn_at" in changes:
            detail += (f". Deviation now: {sample.deviation_text}" if sample.deviation_text
                       else ". No pre-analytical deviation now")
        _custody_save([_custody(actor=actor, sample=sample,
                                action=CustodyEvent.Action.CORRECTED, location=site.name,
                                detail=detail)], actor=actor)
    return sample


def aliquot_discard(*, actor, aliquot, reason, expected_version=None):
    """Discard an aliquot that has not left the site (broken tube, thawed by accident...): it
    leaves its box position and nothing happens to it again. The reason is required."""
    site = aliquot.site
    access.require_data_entry(actor, site)
    check_version(aliquot, expected_version)
    if not (reason or "").strip():
        _refuse("reason", "Say why the aliquot is discarded.")
    _transition(aliquot.status, "discard", field="label", label=aliquot.label)
    where = f"{aliquot.box} {aliquot.position}" if aliquot.box_id else ""
    with transaction.atomic():
        aliquot.status = AliquotStatus.DISCARDED
        aliquot.box, aliquot.position_row, aliquot.position_column = None, None, None
        audited_save(aliquot, actor=actor, reason=f"Discarded: {reason.strip()}",
                     changed={"status", "box", "position_row", "position_column"})
        _custody_save([_custody(actor=actor, sample=aliquot.sample, aliquot=aliquot,
                                action=CustodyEvent.Action.DISCARDED, location=where,
                                detail=reason.strip())], actor=actor)
    return aliquot


# --- storage ------------------------------------------------------------------------------------


def freezer_create(*, actor, site, name, location="", temperature_c=-80):
    access.require_data_entry(actor, site)
    if Freezer.objects.filter(site=site, name=name).exists():
        _refuse("name", f"{site.code} already has a freezer named {name}.")
    return audited_save(Freezer(site=site, name=name, location=location,
                                temperature_c=temperature_c), actor=actor)


def rack_create(*, actor, freezer, name):
    access.require_data_entry(actor, freezer.site)
    if Rack.objects.filter(freezer=freezer, name=name).exists():
        _refuse("name", f"{freezer} already has a rack named {name}.")
    return audited_save(Rack(freezer=freezer, name=name), actor=actor)


def box_create(*, actor, rack, name, rows=None, columns=None):
    site = rack.freezer.site
    access.require_data_entry(actor, site)
    plan = sample_plan_of(site)
    if Box.objects.filter(rack=rack, name=name).exists():
        _refuse("name", f"{rack} already has a box named {name}.")
    return audited_save(Box(rack=rack, name=name, rows=rows or plan.box_rows,
                            columns=columns or plan.box_columns), actor=actor)


def storage_create(*, actor, site, freezer_name, rack_name, box_name, location=""):
    """The freezer, rack and box named, creating those that do not exist yet."""
    with transaction.atomic():
        freezer = (Freezer.objects.filter(site=site, name=freezer_name).first()
                   or freezer_create(actor=actor, site=site, name=freezer_name,
                                     location=location))
        rack = (Rack.objects.filter(freezer=freezer, name=rack_name).first()
                or rack_create(actor=actor, freezer=freezer, name=rack_name))
        return box_create(actor=actor, rack=rack, name=box_name)


def aliquot_store(*, actor, aliquot, box, row, column, reason=None):
    """Put an aliquot in a box position (first storage or a move within the site)."""
    site = aliquot.site
    access.require_data_entry(actor, site)
    if box.rack.freezer.site_id != site.pk:
        _refuse("box", "This box is at another site.")
    _transition(aliquot.status, "store", field="label", label=aliquot.label)
    if not (1 <= row <= box.rows and 1 <= column <= box.columns):
        _refuse("position", f"{position_name(row, column)} is outside this box.")
    occupant = Aliquot.objects.filter(box=box, position_row=row, position_column=column).exclude(
        pk=aliquot.pk).first()
    if occupant is not None:
        _refuse("position", f"{position_name(row, column)} already holds {occupant.label}.")
    moving = aliquot.status == AliquotStatus.STORED
    before = f"{aliquot.box} {aliquot.position}" if moving else ""
    try:
        with transaction.atomic():
            aliquot.status = AliquotStatus.STORED
            aliquot.box, aliquot.position_row, aliquot.position_column = box, row, column
            audited_save(aliquot, actor=actor,
                         reason=reason or ("Aliquot moved" if moving else "Aliquot stored"),
                         changed={"status", "box", "position_row", "position_column"})
            where = f"{box} {position_name(row, column)}"
            _custody_save([_custody(
                actor=actor, sample=aliquot.sample, aliquot=aliquot,
                action=CustodyEvent.Action.MOVED if moving else CustodyEvent.Action.STORED,
                location=where, detail=f"from {before}" if moving else "")], actor=actor)
    except IntegrityError:
        # Somebody filled the position between the check and the save: the database refused.
        raise ValidationError({"position": f"{position_name(row, column)} was just filled by "
                                           "another aliquot."}) from None
    return aliquot


def aliquot_split(*, actor, aliquot, count, volume_ml, reason=None):
    """Thaw an aliquot and divide it into ``count`` children of ``volume_ml`` (lineage kept).

    The parent is used up and leaves its position; each child inherits the parent's freeze-thaw
    cycles plus the thaw of the split, and is labelled ``<parent label>.<n>``.
    """
    site = aliquot.site
    access.require_data_entry(actor, site)
    _transition(aliquot.status, "split", field="label", label=aliquot.label)
    if not 2 <= count <= 12:
        _refuse("count", "Split into 2 to 12 child aliquots.")
    if volume_ml <= 0 or count * volume_ml > aliquot.volume_ml:
        _refuse("volume_ml", f"{count} × {volume_ml} mL is more than the {aliquot.volume_ml} mL "
                             "of the parent aliquot.")
    where = f"{aliquot.box} {aliquot.position}" if aliquot.box_id else ""
    with transaction.atomic():
        aliquot.status = AliquotStatus.CONSUMED
        aliquot.box, aliquot.position_row, aliquot.position_column = None, None, None
        audited_save(aliquot, actor=actor, reason=reason or "Split into child aliquots",
                     changed={"status", "box", "position_row", "position_column"})
        bulk_create_audited(Aliquot, [
            Aliquot(site=site, sample=aliquot.sample, parent=aliquot, number=n,
                    volume_ml=volume_ml, freeze_thaw_count=aliquot.freeze_thaw_count + 1,
                    label=aliquot_label(subject_id="", visit_code="", label_code="", number=n,
                                        parent_label=aliquot.label))
            for n in range(1, count + 1)
        ], actor=actor, reason=f"Split from {aliquot.label}")
        children = list(Aliquot.objects.filter(parent=aliquot).order_by("number"))
        _custody_save([_custody(actor=actor, sample=aliquot.sample, aliquot=aliquot,
                                action=CustodyEvent.Action.SPLIT, location=where,
                                detail=f"{count} × {volume_ml} mL: "
                                       f"{', '.join(c.label for c in children)}")], actor=actor)
    return children


# --- shipments ----------------------------------------------------------------------------------


def shipment_create(*, actor, site, destination_lab):
    access.require_data_entry(actor, site)
    plan = sample_plan_of(site)
    if destination_lab not in {lab.code for lab in plan.labs}:
        _refuse("destination_lab", "Choose one of the protocol's laboratories.")
    with transaction.atomic():
        number = Shipment.objects.filter(site=site).count() + 1
        return audited_save(Shipment(site=site, destination_lab=destination_lab,
                                     reference=f"{site.code}-SH{number:03d}"), actor=actor)


def shipment_add_aliquots(*, actor, shipment, aliquots):
    """Reserve stored aliquots of the shipment's site for it; they stay in their positions."""
    access.require_data_entry(actor, shipment.site)
    _shipment_check(shipment, "add")
    if not aliquots:
        _refuse("aliquots", "Choose at least one aliquot.")
    errors = []
    for aliquot in aliquots:
        if aliquot.site_id != shipment.site_id:
            errors.append(f"{aliquot.label}: it is at another site.")
            continue
        try:
            lifecycle.aliquot_next_status(aliquot.status, "allocate")
        except TransitionRefused as exc:
            errors.append(f"{aliquot.label}: {exc}")
    if errors:
        raise ValidationError({"aliquots": errors})
    with transaction.atomic():
        for aliquot in aliquots:
            aliquot.status = AliquotStatus.IN_SHIPMENT
        bulk_update_audited(Aliquot, aliquots, ["status"], actor=actor,
                            reason=f"Added to shipment {shipment.reference}")
        bulk_create_audited(ShipmentItem, [ShipmentItem(shipment=shipment, aliquot=a)
                                           for a in aliquots], actor=actor)
        _custody_save([_custody(actor=actor, sample=a.sample, aliquot=a, shipment=shipment,
                                action=CustodyEvent.Action.ADDED_TO_SHIPMENT,
                                location=f"{a.box} {a.position}",
                                detail=shipment.reference) for a in aliquots], actor=actor)
    return shipment


def shipment_remove_aliquot(*, actor, shipment, aliquot, reason="Removed from shipment"):
    access.require_data_entry(actor, shipment.site)
    _shipment_check(shipment, "remove")
    item = ShipmentItem.objects.active().filter(shipment=shipment, aliquot=aliquot).first()
    if item is None:
        _refuse("aliquots", f"{aliquot.label} is not in this shipment.")
    from trialsite.audit import record_void

    with transaction.atomic():
        record_void(item, actor=actor, reason=reason)
        aliquot.status = _transition(aliquot.status, "release", label=aliquot.label)
        audited_save(aliquot, actor=actor, reason=f"Removed from {shipment.reference}",
                     changed={"status"})
        _custody_save([_custody(actor=actor, sample=aliquot.sample, aliquot=aliquot,
                                shipment=shipment,
                                action=CustodyEvent.Action.REMOVED_FROM_SHIPMENT,
                                location=f"{aliquot.box} {aliquot.position}",
                                detail=shipment.reference)], actor=actor)
    return shipment


def shipment_aliquots(shipment):
    return list(Aliquot.objects.filter(shipment_items__shipment=shipment,
                                       shipment_items__voided_at__isnull=True)
                .select_related("sample", "box__rack__freezer").order_by("label"))


def shipment_ship(*, actor, shipment, shipped_at, courier, tracking_number, dry_ice,
                  expected_version=None):
    """Mark a shipment shipped: its aliquots leave their positions and travel."""
    access.require_data_entry(actor, shipment.site)
    check_version(shipment, expected_version)
    _shipment_check(shipment, "ship")
    aliquots = shipment_aliquots(shipment)
    if not aliquots:
        _refuse(None, "This shipment has no aliquots.")
    _not_future(shipment.site, "shipped_at", shipped_at, "The shipping time")
    if not courier.strip():
        _refuse("courier", "Name the courier.")
    if not tracking_number.strip():
        _refuse("tracking_number", "Give the tracking number.")
    events = []
    for aliquot in aliquots:
        aliquot.status = _transition(aliquot.status, "ship", label=aliquot.label)
        events.append(_custody(actor=actor, sample=aliquot.sample, aliquot=aliquot,
                               shipment=shipment, action=CustodyEvent.Action.SHIPPED,
                               at=shipped_at, location=f"from {aliquot.box} {aliquot.position}",
                               detail=f"{shipment.reference} by {courier.strip()}, tracking "
                                      f"{tracking_number.strip()}"
                                      f"{', on dry ice' if dry_ice else ', NOT on dry ice'}"))
        aliquot.box, aliquot.position_row, aliquot.position_column = None, None, None
    with transaction.atomic():
        bulk_update_audited(Aliquot, aliquots,
                            ["status", "box", "position_row", "position_column"], actor=actor,
                            reason=f"Shipped in {shipment.reference}")
        shipment.status = ShipmentStatus.SHIPPED
        shipment.shipped_at = shipped_at
        shipment.courier = courier.strip()
        shipment.tracking_number = tracking_number.strip()
        shipment.dry_ice = dry_ice
        audited_save(shipment, actor=actor, reason="Shipment shipped")
        _custody_save(events, actor=actor)
    return shipment


def require_central_lab(actor, shipment):
    """Only the laboratory a shipment is addressed to receives it."""
    if not (actor.is_superuser or access.works_for_laboratory(
            actor, shipment.site.study, shipment.destination_lab)):
        raise PermissionDenied("Only the laboratory the shipment is addressed to receives it.")


def shipment_receive(*, actor, shipment, received_at, arrival_condition, receipts,
                     expected_version=None):
    """The laboratory's receipt: every aliquot received, missing or damaged, and the condition.

    ``receipts`` maps aliquot labels to a ``Receipt``; every aliquot of the shipment needs one.
    """
    require_central_lab(actor, shipment)
    check_version(shipment, expected_version)
    _shipment_check(shipment, "receive")
    if arrival_condition not in {c.value for c in lifecycle.ArrivalCondition}:
        _refuse("arrival_condition", "Choose frozen, partly thawed or thawed.")
    if received_at is None:
        _refuse("received_at", "Give the time of receipt.")
    if shipment.shipped_at and received_at < shipment.shipped_at:
        _refuse("received_at", "The shipment cannot arrive before it was shipped.")
    if received_at > timezone.now() + timedelta(minutes=5):
        _refuse("received_at", "The time of receipt is in the future.")
    aliquots = shipment_aliquots(shipment)
    by_label = {a.label: a for a in aliquots}
    unknown = sorted(set(receipts) - set(by_label))
    missing = sorted(set(by_label) - set(receipts))
    errors = [f"{label} is not in this shipment." for label in unknown]
    errors += [f"{label}: say whether it was received, missing or damaged." for label in missing]
    for label, value in receipts.items():
        if value not in {r.value for r in Receipt}:
            errors.append(f"{label}: {value!r} is not received, missing or damaged.")
    if errors:
        raise ValidationError({"receipts": errors})
    thaw = lifecycle.freeze_thaw_cycles_added(arrival_condition)
    items = list(ShipmentItem.objects.active().filter(shipment=shipment))
    events = []
    action_of = {Receipt.RECEIVED: CustodyEvent.Action.RECEIVED,
                 Receipt.MISSING: CustodyEvent.Action.MISSING,
                 Receipt.DAMAGED: CustodyEvent.Action.DAMAGED}
    lab = sample_plan_of(shipment.site).lab(shipment.destination_lab)
    for aliquot in aliquots:
        receipt = Receipt(receipts[aliquot.label])
        aliquot.status = _transition(aliquot.status, "receive", receipt=receipt,
                                     label=aliquot.label)
        if receipt == Receipt.RECEIVED:
            aliquot.freeze_thaw_count += thaw
        events.append(_custody(actor=actor, sample=aliquot.sample, aliquot=aliquot,
                               shipment=shipment, action=action_of[receipt], at=received_at,
                               location=lab.name,
                               detail=f"{shipment.reference}, arrived "
                                      f"{arrival_condition.replace('_', ' ')}"))
    label_of = {a.pk: a.label for a in aliquots}
    for item in items:
        item.receipt = receipts[label_of[item.aliquot_id]]
    with transaction.atomic():
        bulk_update_audited(Aliquot, aliquots, ["status", "freeze_thaw_count"], actor=actor,
                            reason=f"Receipt of {shipment.reference}")
        bulk_update_audited(ShipmentItem, items, ["receipt"], actor=actor,
                            reason=f"Receipt of {shipment.reference}")
        shipment.status = ShipmentStatus.RECEIVED
        shipment.received_at = received_at
        shipment.arrival_condition = arrival_condition
        shipment.discrepancies = "; ".join(
            lifecycle.receipt_discrepancies(receipts, arrival_condition))
        audited_save(shipment, actor=actor, reason="Shipment received by the laboratory")
        _custody_save(events, actor=actor)
    return shipment


# --- results ------------------------------------------------------------------------------------


class ManifestRejected(ValidationError):
    """The results file was refused; ``rows`` carries each row with its errors."""

    def __init__(self, message, rows=()):
        super().__init__({"file": message})
        self.rows = list(rows)


def results_upload(*, actor, study, text, file_name):
    """Import a results manifest: every row valid, or nothing saved and every error reported."""
    if not (actor.is_superuser or Membership.objects.active().filter(
            user=actor, study=study, role=Role.CENTRAL_LAB).exists()):
        raise PermissionDenied("Only the central laboratory reports results.")
    lab_aliquots = Aliquot.objects.filter(
        site__study=study, shipment_items__shipment__status=ShipmentStatus.RECEIVED,
        shipment_items__voided_at__isnull=True)
    if not actor.is_superuser:
        # A laboratory reports results only for aliquots it received itself.
        lab_aliquots = lab_aliquots.filter(access.laboratory_filter(
            actor, study_path="site__study",
            lab_path="shipment_items__shipment__destination_lab"))
    known = dict(lab_aliquots.values_list("label", "status"))
    receivable = {label for label, status in known.items() if status == AliquotStatus.RECEIVED}
    try:
        rows = parse_manifest(text, known=set(known), receivable=receivable,
                              now=timezone.now())
    except ManifestError as exc:
        raise ManifestRejected(str(exc)) from None
    bad = [row for row in rows if row.errors]
    if bad:
        raise ManifestRejected(
            f"{len(bad)} of {len(rows)} rows have errors; nothing was imported.", rows)
    aliquots = {a.label: a for a in Aliquot.objects.filter(
        label__in=[r.aliquot_label for r in rows]).select_related("sample")}
    with transaction.atomic():
        manifest = audited_save(ResultsManifest(study=study, file_name=file_name[:255],
                                                row_count=len(rows)), actor=actor)
        bulk_create_audited(AliquotResult, [
            AliquotResult(manifest=manifest, aliquot=aliquots[r.aliquot_label],
                          measured_at=r.measured_at, instrument=r.instrument,
                          result_file=r.result_file, qc_status=r.qc_status) for r in rows
        ], actor=actor, reason=f"Results manifest {file_name}")
        consumed = []
        events = []
        for r in rows:
            aliquot = aliquots[r.aliquot_label]
            aliquot.status = _transition(aliquot.status, "consume", label=aliquot.label)
            consumed.append(aliquot)
            events.append(_custody(actor=actor, sample=aliquot.sample, aliquot=aliquot,
                                   action=CustodyEvent.Action.RESULT, at=r.measured_at,
                                   location=r.instrument,
                                   detail=f"{r.result_file}, QC {r.qc_status}"))
        bulk_update_audited(Aliquot, consumed, ["status"], actor=actor,
                            reason=f"Result reported in {file_name}")
        _custody_save(events, actor=actor)
    manifest.rows = rows
    return manifest


def aliquots_measured(*, actor, aliquots, at, location, details):
    """Record that the laboratory measured ``aliquots``: a received aliquot becomes consumed;
    each gets a *result reported* custody step (``details`` maps aliquot pk to its text)."""
    consumed, events = [], []
    for aliquot in aliquots:
        if aliquot.status == AliquotStatus.RECEIVED:
            aliquot.status = _transition(aliquot.status, "consume", label=aliquot.label)
            consumed.append(aliquot)
        events.append(_custody(actor=actor, sample=aliquot.sample, aliquot=aliquot,
                               action=CustodyEvent.Action.RESULT, at=at, location=location,
                               detail=details[aliquot.pk]))
    if consumed:
        bulk_update_audited(Aliquot, consumed, ["status"], actor=actor,
                            reason="Measured by the laboratory")
    _custody_save(events, actor=actor)


# --- the daily job ------------------------------------------------------------------------------


def sample_flags_refresh(*, actor, today):
    """Raise flags for problems found today and resolve those that went away. Idempotent.

    A fixed number of statements whatever the number of rows: one select of new problems per
    kind, one bulk insert (with history), and one audited set-based update for resolutions.
    """
    now = timezone.now()
    sample_of_flag = Sample.objects.active().filter(visit=OuterRef("visit"),
                                    sample_code=OuterRef("sample_code"))
    open_flags = SampleFlag.objects.filter(resolved_on__isnull=True)

    # 1. Expected samples of done visits with no record (drawn or not collected). The database
    # keeps the visits with neither a record nor a flag (new problems; visits expecting several
    # samples are always checked), and the exact per-code check runs on that small set.
    new = []
    has_sample = Exists(Sample.objects.active().filter(visit=OuterRef("pk")))
    has_flag = Exists(SampleFlag.objects.filter(kind=SampleFlag.Kind.MISSING_SAMPLE,
                                                visit=OuterRef("pk")))
    done = (Visit.objects.active()
            .filter(status__in=DONE_VISIT_STATUSES, patient__voided_at__isnull=True)
            .annotate(expected=JSONArrayLength("samples")))
    # Two statements rather than an OR, so the database can use anti-joins.
    rows = [*done.filter(expected=1).filter(~has_sample, ~has_flag).values_list(
                "id", "patient__site_id", "samples"),
            *done.filter(expected__gt=1).values_list("id", "patient__site_id", "samples")]
    ids = [row[0] for row in rows]
    recorded = set(Sample.objects.active().filter(visit__in=ids).values_list("visit_id",
                                                                            "sample_code"))
    flagged_keys = set(SampleFlag.objects.filter(
        kind=SampleFlag.Kind.MISSING_SAMPLE, visit__in=ids).values_list("visit_id",
                                                                        "sample_code"))
    for visit_id, site_id, samples in rows:
        for code in samples:
            key = (visit_id, code)
            if key not in recorded and key not in flagged_keys:
                new.append(SampleFlag(kind=SampleFlag.Kind.MISSING_SAMPLE, site_id=site_id,
                                      visit_id=visit_id, sample_code=code, raised_on=today))
    # 2. Shipments in transit for longer than their protocol's alert (one term per study).
    late = Q(pk__in=[])
    for protocol in all_protocols():
        if protocol.sample_plan is not None:
            late |= Q(site__study__code=protocol.code, shipped_at__lt=now - timedelta(
                days=protocol.sample_plan.transit_alert_days))
    overdue = Shipment.objects.active().filter(late, status=ShipmentStatus.SHIPPED).exclude(
        Exists(SampleFlag.objects.filter(kind=SampleFlag.Kind.TRANSIT_OVERDUE,
                                         shipment=OuterRef("pk"))))
    new += [SampleFlag(kind=SampleFlag.Kind.TRANSIT_OVERDUE, site_id=site_id, shipment_id=pk,
                       raised_on=today) for pk, site_id in overdue.values_list("id", "site_id")]
    # 3. Aliquots received from a shipment that arrived thawed or partly thawed.
    thawed = Aliquot.objects.filter(
        shipment_items__receipt=Receipt.RECEIVED, shipment_items__voided_at__isnull=True,
        shipment_items__shipment__arrival_condition__in=["thawed", "partly_thawed"],
    ).exclude(Exists(SampleFlag.objects.filter(kind=SampleFlag.Kind.RECEIVED_THAWED,
                                               aliquot=OuterRef("pk")))).distinct()
    new += [SampleFlag(kind=SampleFlag.Kind.RECEIVED_THAWED, site_id=site_id, aliquot_id=pk,
                       raised_on=today) for pk, site_id in thawed.values_list("id", "site_id")]
    with transaction.atomic():
        if new:
            bulk_create_audited(SampleFlag, new, actor=actor, reason="Daily sample check",
                                batch_size=5000)
        resolved = audited_queryset_update(
            open_flags.filter(
                Q(kind=SampleFlag.Kind.MISSING_SAMPLE, pk__in=SampleFlag.objects.filter(
                    kind=SampleFlag.Kind.MISSING_SAMPLE).filter(Exists(sample_of_flag)).values("pk"))
                | Q(kind=SampleFlag.Kind.TRANSIT_OVERDUE)
                & ~Q(shipment__status=ShipmentStatus.SHIPPED)),
            actor=actor, reason="Daily sample check: resolved", resolved_on=today)
    counts = defaultdict(int)
    for flag in new:
        counts[flag.kind] += 1
    return {"raised": dict(counts), "resolved": resolved}


def open_flag_counts(queryset):
    return dict(queryset.filter(resolved_on__isnull=True).values_list("kind").annotate(
        n=Count("id")).values_list("kind", "n"))
