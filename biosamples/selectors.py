"""Reads for the sample pages and the API, each in a fixed number of queries."""

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from biosamples.domain.labels import position_name
from biosamples.domain.lifecycle import AliquotStatus, ShipmentStatus
from biosamples.models import Aliquot, Box, CustodyEvent, Sample, SampleFlag, Shipment
from trialsite import access
from trialsite.models import Role
from visits.selectors import patient_visits


def humanise(code):
    return code.replace("_", " ").capitalize()


def visit_samples(visit):
    """One row per sample the visit expects: its type and what was recorded (one query)."""
    plan = visit.patient.site.study.protocol.sample_plan
    recorded = {s.sample_code: s for s in Sample.objects.active().filter(visit=visit).annotate(
        n_aliquots=Count("aliquots"))}
    rows = []
    for code in visit.samples:
        sample_type = plan.sample_type(code) if plan else None
        rows.append({"code": code, "type": sample_type,
                     "label": sample_type.label if sample_type else humanise(code),
                     "sample": recorded.get(code)})
    return rows


def patient_samples(patient):
    """The patient's expected samples, visit by visit, with what was recorded and where its
    aliquots are (the samples with their aliquot counts: one query; the visits are the
    casebook's, read once)."""
    plan = patient.site.study.protocol.sample_plan
    today = timezone.localdate()
    visits = [v for v in patient_visits(patient) if v.samples]
    counts = {status: Count("aliquots", filter=Q(aliquots__status=status))
              for status in ("created", "stored", "shipped", "received", "consumed", "discarded")}
    recorded = {(s.visit_id, s.sample_code): s for s in Sample.objects.active().filter(
        visit__patient=patient).annotate(n_aliquots=Count("aliquots"), **{
            f"n_{status}": count for status, count in counts.items()})}
    rows = []
    for visit in visits:
        for code in visit.samples:
            sample_type = plan.sample_type(code) if plan else None
            rows.append({"visit": visit, "code": code,
                         "label": sample_type.label if sample_type else humanise(code),
                         "sample": recorded.get((visit.pk, code)),
                         "upcoming": visit.window_start > today})
    return rows


def sample_get(*, user, pk):
    sample = (Sample.objects.visible_to(user).active()
              .select_related("site__study", "visit__patient__site__study").filter(pk=pk).first())
    if sample is None:
        raise Http404("No such sample")
    return sample


def sample_aliquots(sample):
    return list(Aliquot.objects.filter(sample=sample).select_related(
        "box__rack__freezer", "parent").order_by("number", "label"))


def visit_aliquots(visit):
    return list(Aliquot.objects.filter(sample__visit=visit, sample__voided_at__isnull=True)
                .select_related("sample").order_by("label"))


def custody_events(sample):
    return list(CustodyEvent.objects.filter(sample=sample).select_related(
        "actor", "aliquot", "shipment").order_by("at", "id"))


def site_get(*, user, code, roles=None):
    sites = (access.sites_visible_to(user) if roles is None
             else access.sites_visible_to(user, roles=roles))
    site = sites.select_related("study").filter(code=code).first()
    if site is None:
        raise Http404("No such site")
    return site


def site_boxes(site):
    return list(Box.objects.filter(rack__freezer__site=site).select_related("rack__freezer")
                .annotate(n_aliquots=Count("aliquots")).order_by(
                    "rack__freezer__name", "rack__name", "name"))


def box_get(*, user, pk):
    box = (Box.objects.visible_to(user).select_related("rack__freezer__site__study")
           .filter(pk=pk).first())
    if box is None:
        raise Http404("No such box")
    return box


def box_grid(box):
    """Rows of cells ``(position name, aliquot or None)`` for the box map (one query)."""
    placed = {(a.position_row, a.position_column): a for a in Aliquot.objects.filter(box=box)
              .select_related("sample__visit")}
    return [[(position_name(r, c), placed.get((r, c))) for c in range(1, box.columns + 1)]
            for r in range(1, box.rows + 1)], len(placed)


def draft_shipments(site):
    return list(Shipment.objects.active().filter(site=site, status=ShipmentStatus.DRAFT))


def site_shipments(site):
    return list(Shipment.objects.active().filter(site=site).annotate(
        n_aliquots=Count("items", filter=Q(items__voided_at__isnull=True))).order_by(
            "-created_at"))


def shipment_get(*, user, pk):
    shipment = (Shipment.objects.visible_to(user).active().select_related("site__study")
                .filter(pk=pk).first())
    if shipment is None:
        raise Http404("No such shipment")
    return shipment


def shipment_get_any_role(*, user, pk):
    """For the manifest: the site's readers and the central laboratory once shipped."""
    shipment = (Shipment.objects.visible_to_any_role(user).active()
                .select_related("site__study").filter(pk=pk).first())
    if shipment is None:
        raise Http404("No such shipment")
    return shipment


def lab_shipment_get(*, user, pk):
    shipment = (Shipment.objects.lab_visible_to(user).active().select_related("site__study")
                .filter(pk=pk).first())
    if shipment is None:
        raise Http404("No such shipment")
    return shipment


def shipment_rows(shipment):
    """The shipment's aliquots with what the manifest shows: label, visit, collection time.

    Nothing clinical: the central laboratory sees exactly these columns.
    """
    return list(Aliquot.objects.filter(shipment_items__shipment=shipment,
                                       shipment_items__voided_at__isnull=True)
                .select_related("sample__visit", "box__rack__freezer")
                .prefetch_related(Prefetch("shipment_items", to_attr="items_here"))
                .order_by("label"))


def available_aliquots(site):
    """Stored aliquots of the site not in any shipment: what a shipment can take (one query)."""
    return list(Aliquot.objects.filter(site=site, status=AliquotStatus.STORED)
                .select_related("sample__visit", "box__rack__freezer")
                .order_by("box__rack__freezer__name", "box__rack__name", "box__name",
                          "position_row", "position_column"))


def lab_shipments(user):
    return list(Shipment.objects.lab_visible_to(user).active().select_related("site__study")
                .annotate(n_aliquots=Count("items", filter=Q(items__voided_at__isnull=True)))
                .order_by("status", "-shipped_at"))


def lab_studies(user):
    """Studies where the user is the central laboratory."""
    return list(access.studies_visible_to(user).filter(
        memberships__user=user, memberships__role=Role.CENTRAL_LAB,
        memberships__voided_at__isnull=True).distinct().order_by("code"))


def open_flags(user, sites):
    return list(SampleFlag.objects.visible_to(user).filter(
        resolved_on__isnull=True, site__in=sites).select_related(
            "site", "visit__patient", "shipment", "aliquot").order_by("raised_on", "id")[:100])
