"""Liquid-biopsy samples from the draw to the central laboratory's result.

Biobank shape: a sample drawn at a visit is processed into aliquots (each may have children);
aliquots sit in freezer → rack → box → position, travel in shipments, are received by the
laboratory and get a result. Every step is also written to the append-only custody log.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from biosamples.domain.labels import position_name
from biosamples.domain.lifecycle import (
    AliquotStatus,
    ArrivalCondition,
    Receipt,
    ShipmentStatus,
)
from trialsite.audit import AuditedModel, AuditedQuerySet, AuditError
from trialsite.models import CLINICAL_READ_ROLES, Site, Study
from visits.models import Visit


def _choices(enum, name):
    return models.TextChoices(name, [(m.name, (m.value, m.value.replace("_", " ").capitalize()))
                                     for m in enum])


class SiteScopedQuerySet(AuditedQuerySet):
    """Rows of the sites the user covers with a clinical role (``site`` on every row)."""

    site_prefix = "site"

    def visible_to(self, user):
        from trialsite.access import site_filter

        return self.filter(site_filter(user, prefix=self.site_prefix))


class Sample(AuditedModel):
    """One expected sample of one visit: drawn (then processed), or not collected."""

    class Status(models.TextChoices):
        COLLECTED = "collected", "Collected"
        PROCESSED = "processed", "Processed"
        NOT_COLLECTED = "not_collected", "Not collected"

    class Haemolysis(models.TextChoices):
        NONE = "none", "None"
        SLIGHT = "slight", "Slight"
        MODERATE = "moderate", "Moderate"
        GROSS = "gross", "Gross"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="biosamples")
    sample_code = models.CharField("expected sample", max_length=40)
    status = models.CharField(max_length=16, choices=Status)
    drawn_at = models.DateTimeField("drawn at", null=True, blank=True)
    tube_type = models.CharField("tube type", max_length=60, blank=True)
    drawn_by = models.CharField("drawn by", max_length=120, blank=True)
    not_collected_reason = models.TextField("reason not collected", blank=True)
    centrifuge_started_at = models.DateTimeField("centrifugation started", null=True,
                                                 blank=True)
    haemolysis = models.CharField("haemolysis", max_length=10, choices=Haemolysis, blank=True)
    frozen_at = models.DateTimeField("frozen at", null=True, blank=True)
    aliquot_count = models.PositiveSmallIntegerField("aliquots", null=True, blank=True)
    aliquot_volume_ml = models.DecimalField("aliquot volume (mL)", max_digits=5,
                                            decimal_places=2, null=True, blank=True)
    draw_to_centrifuge_minutes = models.PositiveIntegerField("draw → centrifuge (min)",
                                                             null=True, blank=True)
    draw_to_freeze_minutes = models.PositiveIntegerField("draw → freeze (min)", null=True,
                                                         blank=True)
    #: Pre-analytical deviation codes (``centrifuge_delay``, ``freeze_delay``) and their text,
    #: stored so lists and exports show them without recomputing.
    deviations = models.JSONField("pre-analytical deviations", default=list, blank=True)
    deviation_text = models.TextField("pre-analytical deviation", blank=True)

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        ordering = ["visit__patient__subject_id", "visit__target_date", "sample_code"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "sample_code"],
                                    condition=Q(voided_at__isnull=True),
                                    name="sample_once_per_visit"),
            models.CheckConstraint(
                condition=Q(status="not_collected") | Q(drawn_at__isnull=False),
                name="sample_drawn_has_time"),
        ]

    def __str__(self):
        return f"{self.visit} {self.sample_code}"

    @property
    def has_deviation(self):
        return bool(self.deviations)


class Freezer(AuditedModel):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=60)
    location = models.CharField(max_length=120, blank=True)
    temperature_c = models.SmallIntegerField("temperature (°C)", default=-80)

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        ordering = ["site__code", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"],
                                               name="freezer_name_per_site")]

    def __str__(self):
        return self.name


class Rack(AuditedModel):
    freezer = models.ForeignKey(Freezer, on_delete=models.PROTECT, related_name="racks")
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["freezer", "name"]
        constraints = [models.UniqueConstraint(fields=["freezer", "name"],
                                               name="rack_name_per_freezer")]

    def __str__(self):
        return f"{self.freezer} / {self.name}"


class BoxQuerySet(SiteScopedQuerySet):
    site_prefix = "rack__freezer__site"


class Box(AuditedModel):
    rack = models.ForeignKey(Rack, on_delete=models.PROTECT, related_name="boxes")
    name = models.CharField(max_length=60)
    rows = models.PositiveSmallIntegerField(default=9)
    columns = models.PositiveSmallIntegerField(default=9)

    objects = BoxQuerySet.as_manager()

    class Meta:
        ordering = ["rack", "name"]
        verbose_name_plural = "boxes"
        constraints = [
            models.UniqueConstraint(fields=["rack", "name"], name="box_name_per_rack"),
            models.CheckConstraint(condition=Q(rows__gte=1, rows__lte=26, columns__gte=1,
                                               columns__lte=99), name="box_size_sane"),
        ]

    def __str__(self):
        return f"{self.rack} / {self.name}"


class AliquotQuerySet(SiteScopedQuerySet):
    def lab_visible_to(self, user):
        """Aliquots sent (shipped or received) to the user's own central laboratory."""
        from trialsite.access import laboratory_filter

        return self.filter(laboratory_filter(
            user, study_path="site__study", lab_path="shipment_items__shipment__destination_lab"),
            shipment_items__shipment__status__in=[
                ShipmentStatus.SHIPPED, ShipmentStatus.RECEIVED]).distinct()


class Aliquot(AuditedModel):
    Status = _choices(AliquotStatus, "Status")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="aliquots")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="children")
    label = models.CharField(max_length=60, unique=True)
    number = models.PositiveSmallIntegerField()
    volume_ml = models.DecimalField("volume (mL)", max_digits=5, decimal_places=2)
    status = models.CharField(max_length=12, choices=Status, default=AliquotStatus.CREATED)
    freeze_thaw_count = models.PositiveSmallIntegerField("freeze-thaw cycles", default=0)
    box = models.ForeignKey(Box, on_delete=models.PROTECT, null=True, blank=True,
                            related_name="aliquots")
    position_row = models.PositiveSmallIntegerField(null=True, blank=True)
    position_column = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = AliquotQuerySet.as_manager()

    class Meta:
        ordering = ["label"]
        constraints = [
            # One aliquot per box position, whatever the application does.
            models.UniqueConstraint(fields=["box", "position_row", "position_column"],
                                    condition=Q(box__isnull=False),
                                    name="aliquot_one_per_position"),
            models.CheckConstraint(
                condition=(Q(box__isnull=True, position_row__isnull=True,
                             position_column__isnull=True)
                           | Q(box__isnull=False, position_row__isnull=False,
                               position_column__isnull=False, position_row__gte=1,
                               position_column__gte=1)),
                name="aliquot_position_complete"),
            models.CheckConstraint(condition=Q(volume_ml__gt=0), name="aliquot_volume_positive"),
        ]

    def __str__(self):
        return self.label

    @property
    def position(self):
        if self.box_id is None:
            return ""
        return position_name(self.position_row, self.position_column)


class ShipmentQuerySet(SiteScopedQuerySet):
    def lab_visible_to(self, user):
        """Shipments on their way to, or received by, the user's own central laboratory."""
        from trialsite.access import laboratory_filter

        return self.filter(laboratory_filter(user, study_path="site__study",
                                             lab_path="destination_lab"),
                           status__in=[ShipmentStatus.SHIPPED, ShipmentStatus.RECEIVED])

    def visible_to_any_role(self, user):
        from trialsite.access import laboratory_filter, site_filter

        return self.filter(
            site_filter(user, roles=CLINICAL_READ_ROLES)
            | (laboratory_filter(user, study_path="site__study", lab_path="destination_lab")
               & Q(status__in=[ShipmentStatus.SHIPPED, ShipmentStatus.RECEIVED])))


class Shipment(AuditedModel):
    Status = _choices(ShipmentStatus, "Status")
    Condition = _choices(ArrivalCondition, "Condition")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=30, unique=True)
    destination_lab = models.CharField("destination laboratory", max_length=20)
    status = models.CharField(max_length=10, choices=Status, default=ShipmentStatus.DRAFT)
    shipped_at = models.DateTimeField("shipped at", null=True, blank=True)
    courier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField("tracking number", max_length=100, blank=True)
    dry_ice = models.BooleanField("on dry ice", default=False)
    received_at = models.DateTimeField("received at", null=True, blank=True)
    arrival_condition = models.CharField("arrival condition", max_length=14, choices=Condition,
                                         blank=True)
    discrepancies = models.TextField("discrepancies at receipt", blank=True)

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.reference


class ShipmentItem(AuditedModel):
    Receipt = _choices(Receipt, "Receipt")

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="items")
    aliquot = models.ForeignKey(Aliquot, on_delete=models.PROTECT,
                                related_name="shipment_items")
    receipt = models.CharField(max_length=10, choices=Receipt, blank=True)

    class Meta:
        ordering = ["aliquot__label"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "aliquot"],
                                    condition=Q(voided_at__isnull=True),
                                    name="shipment_item_once"),
        ]

    def __str__(self):
        return f"{self.shipment} {self.aliquot}"


class ResultsManifest(AuditedModel):
    """One results file uploaded by the central laboratory."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=255)
    row_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name} ({self.row_count} rows)"


class AliquotResult(AuditedModel):
    class QC(models.TextChoices):
        PASS = "pass", "Pass"
        FAIL = "fail", "Fail"
        REPEAT = "repeat", "Repeat"

    manifest = models.ForeignKey(ResultsManifest, on_delete=models.PROTECT,
                                 related_name="results")
    aliquot = models.ForeignKey(Aliquot, on_delete=models.PROTECT, related_name="results")
    measured_at = models.DateTimeField("measured at")
    instrument = models.CharField(max_length=100)
    result_file = models.CharField("result file", max_length=255)
    qc_status = models.CharField("QC status", max_length=10, choices=QC)

    class Meta:
        ordering = ["aliquot__label"]
        constraints = [
            models.UniqueConstraint(fields=["aliquot"], condition=Q(voided_at__isnull=True),
                                    name="one_result_per_aliquot"),
        ]

    def __str__(self):
        return f"{self.aliquot} {self.qc_status}"


class CustodyEvent(AuditedModel):
    """One step in a sample's chain of custody. Append-only: created, never changed."""

    class Action(models.TextChoices):
        DRAWN = "drawn", "Drawn"
        NOT_COLLECTED = "not_collected", "Not collected"
        PROCESSED = "processed", "Processed into aliquots"
        SPLIT = "split", "Split into child aliquots"
        STORED = "stored", "Stored"
        MOVED = "moved", "Moved"
        ADDED_TO_SHIPMENT = "added", "Added to shipment"
        REMOVED_FROM_SHIPMENT = "removed", "Removed from shipment"
        SHIPPED = "shipped", "Shipped"
        RECEIVED = "received", "Received"
        MISSING = "missing", "Reported missing"
        DAMAGED = "damaged", "Reported damaged"
        RESULT = "result", "Result reported"
        DISCARDED = "discarded", "Discarded"
        CORRECTED = "corrected", "Record corrected"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="custody_events")
    aliquot = models.ForeignKey(Aliquot, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="custody_events")
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="custody_events")
    action = models.CharField(max_length=16, choices=Action)
    at = models.DateTimeField("when")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+")
    location = models.CharField(max_length=200, blank=True)
    detail = models.TextField(blank=True)

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditError("Custody events are append-only: record a new event instead.")
        super().save(*args, **kwargs)


class SampleFlag(AuditedModel):
    """A problem the daily job found; open until the job sees it resolved."""

    class Kind(models.TextChoices):
        MISSING_SAMPLE = "missing_sample", "Expected sample not recorded"
        TRANSIT_OVERDUE = "transit_overdue", "Shipment in transit too long"
        RECEIVED_THAWED = "received_thawed", "Aliquot received thawed"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind)
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    sample_code = models.CharField(max_length=40, blank=True)
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="flags")
    aliquot = models.ForeignKey(Aliquot, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="flags")
    raised_on = models.DateField()
    resolved_on = models.DateField(null=True, blank=True)

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        ordering = ["raised_on", "id"]
        constraints = [
            # One flag per problem: the job can run any number of times.
            models.UniqueConstraint(fields=["kind", "visit", "sample_code"],
                                    condition=Q(kind="missing_sample"),
                                    name="flag_once_per_missing_sample"),
            models.UniqueConstraint(fields=["kind", "shipment"],
                                    condition=Q(kind="transit_overdue"),
                                    name="flag_once_per_shipment"),
            models.UniqueConstraint(fields=["kind", "aliquot"],
                                    condition=Q(kind="received_thawed"),
                                    name="flag_once_per_thawed_aliquot"),
        ]

    def __str__(self):
        return self.get_kind_display()


# The spectra sub-domain's models, under this app's label (docs/architecture.md).
from biosamples.spectra.models import AnalysisRun, SpectraBatch, Spectrum  # noqa: E402, F401
