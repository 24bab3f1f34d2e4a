"""Demo samples for ICRG0201: every past visit that took place has its liquid biopsy recorded
through the services (a few not collected, a few processed late: pre-analytical deviations), the
demo coordinator's site (JOKHC) stores its aliquots in a freezer box, and one shipment to the
central quantum-optics laboratory has been received with results. Safe to run again: visits that
already have their samples, and a site that already has a shipment, are left alone."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from biosamples import services
from biosamples.models import Aliquot, Box, Sample, Shipment
from trialsite.models import Role, User
from visits.models import Visit

#: The site whose aliquots the demo stores and ships (the demo coordinator's).
STORING_SITE = "JOKHC"
NOT_COLLECTED_SHARE = 0.06
LATE_SHARE = 0.08
SHIPPED_SAMPLES = 3
NURSES = ["Nurse Salma", "Nurse Huda", "Nurse Rami", "Phlebotomist Dana"]


def seed(context):
    rng, today, system = context["rng"], context["today"], context["system"]
    staff = context.get("site_staff", {})
    visits = (Visit.objects.active()
              .filter(status__in=services.DONE_VISIT_STATUSES, actual_date__lt=today,
                      patient__voided_at__isnull=True, patient__site__study__code="ICRG0201")
              .exclude(samples=[])
              .select_related("patient__site__study")
              .order_by("patient__subject_id", "target_date"))
    recorded = set(Sample.objects.active().values_list("visit_id", "sample_code"))
    for visit in visits:
        site = visit.patient.site
        if site.code not in staff:
            continue
        coordinator = staff[site.code][Role.COORDINATOR][0]
        for code in visit.samples:
            if (visit.pk, code) not in recorded:
                _collect(visit, code, coordinator, rng)
    site_staff = staff.get(STORING_SITE)
    if site_staff is not None:
        _store_and_ship(site_staff[Role.COORDINATOR][0], rng)
    services.sample_flags_refresh(actor=system, today=today)


def _collect(visit, code, coordinator, rng):
    site = visit.patient.site
    with transaction.atomic():
        if rng.random() < NOT_COLLECTED_SHARE:
            services.sample_record_not_collected(
                actor=coordinator, visit=visit, sample_code=code,
                reason=rng.choice(["Difficult venous access", "Patient declined the draw",
                                   "Tube clotted; no second draw possible"]))
            return
        zone = ZoneInfo(site.time_zone)
        drawn = datetime.combine(visit.actual_date, time(rng.randint(8, 11), rng.choice(
            [0, 10, 20, 30, 45])), tzinfo=zone)
        sample = services.sample_record_draw(actor=coordinator, visit=visit, sample_code=code,
                                             drawn_at=drawn, drawn_by=rng.choice(NURSES))
        late = rng.random() < LATE_SHARE
        to_centrifuge = rng.randint(125, 170) if late and rng.random() < 0.5 else rng.randint(
            20, 95)
        to_freeze = max(to_centrifuge + 40, rng.randint(245, 290) if late else rng.randint(
            70, 200))
        plan = site.study.protocol.sample_plan.sample_type(code)
        services.sample_process(
            actor=coordinator, sample=sample, haemolysis=rng.choice(
                ["none"] * 8 + ["slight", "moderate"]),
            centrifuge_started_at=drawn + timedelta(minutes=to_centrifuge),
            frozen_at=drawn + timedelta(minutes=to_freeze),
            aliquot_count=plan.default_aliquot_count,
            aliquot_volume_ml=plan.default_aliquot_volume_ml)


def _store_and_ship(coordinator, rng):
    site = coordinator.memberships.filter(site__code=STORING_SITE).first().site
    to_store = list(Aliquot.objects.filter(site=site, status="created").select_related(
        "sample__visit").order_by("label"))
    boxes = list(Box.objects.filter(rack__freezer__site=site).order_by("name"))
    box_number = len(boxes)
    for aliquot in to_store:
        box, row, column = _free_position(boxes)
        if box is None:
            box_number += 1
            box = services.storage_create(actor=coordinator, site=site,
                                          freezer_name="-80 °C freezer A", rack_name="Rack 1",
                                          box_name=f"Box {box_number}",
                                          location="Oncology research lab, room 2.14")
            box.filled = set()
            boxes.append(box)
            row, column = 1, 1
        services.aliquot_store(actor=coordinator, aliquot=aliquot, box=box, row=row,
                               column=column)
        box.filled.add((row, column))
    if Shipment.objects.filter(site=site).exists():
        return
    lab = User.objects.filter(username="centrallab").first()
    samples = list(Sample.objects.active().filter(site=site, status="processed")
                   .order_by("drawn_at")[:SHIPPED_SAMPLES])
    if lab is None or not samples:
        return
    aliquots = list(Aliquot.objects.filter(sample__in=samples, number__in=(1, 2),
                                           status="stored").select_related("sample", "box"))
    now = timezone.now()
    with transaction.atomic():
        shipment = services.shipment_create(actor=coordinator, site=site,
                                            destination_lab="QOLAB")
        services.shipment_add_aliquots(actor=coordinator, shipment=shipment, aliquots=aliquots)
        services.shipment_ship(actor=coordinator, shipment=shipment,
                               shipped_at=now - timedelta(days=12), courier="World Courier",
                               tracking_number="WC-2026-004417", dry_ice=True)
        shipment = Shipment.objects.get(pk=shipment.pk)
        services.shipment_receive(
            actor=lab, shipment=shipment, received_at=now - timedelta(days=10),
            arrival_condition="frozen",
            receipts={a.label: "damaged" if i == len(aliquots) - 1 else "received"
                      for i, a in enumerate(aliquots)})
        measured = now - timedelta(days=3)
        rows = [f"{a.label},{(measured + timedelta(minutes=7 * i)).isoformat()},"
                f"QO-FTIR-2,runs/2026/{a.label}.spc,{'repeat' if i == 1 else 'pass'}"
                for i, a in enumerate(aliquots[:-1])]
        services.results_upload(
            actor=lab, study=site.study, file_name="qo-results-demo.csv",
            text="aliquot_label,measured_at,instrument,result_file,qc_status\n"
                 + "\n".join(rows) + "\n")
    # A draft being prepared for the Raman benchmark laboratory.
    services.shipment_create(actor=coordinator, site=site, destination_lab="RAMAN")


def _free_position(boxes):
    for box in boxes:
        if not hasattr(box, "filled"):
            box.filled = set(Aliquot.objects.filter(box=box).values_list("position_row",
                                                                         "position_column"))
        for row in range(1, box.rows + 1):
            for column in range(1, box.columns + 1):
                if (row, column) not in box.filled:
                    return box, row, column
    return None, None, None


def seed_late(context):
    """Spectra come last: they need the responses the outcomes demo enters."""
    from biosamples.spectra import demo as spectra_demo

    spectra_demo.seed_late(context)
