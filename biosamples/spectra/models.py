"""Spectra measured on aliquots by the laboratories, and the fingerprint analysis runs.

Each spectrum keeps the file exactly as received (in the default file storage, with its SHA-256)
and the values resampled on the technique's declared axis (little-endian float64, NaN where the
measurement did not reach), with its QC figures and flags. An analysis run records everything
needed to repeat it: data cut, the checksum of every input, parameters, library versions, seed,
and every number it produced.
"""

import numpy as np
from django.db import models
from django.db.models import Q

from biosamples.models import Aliquot
from trialsite.audit import AuditedModel, AuditedQuerySet
from trialsite.models import Site, Study


def spectrum_upload_to(instance, filename):
    return f"spectra/{instance.batch.study.code}/{instance.batch_id}/{filename}"


class SpectraBatch(AuditedModel):
    """One zip uploaded by a laboratory: accepted whole or not at all."""

    MONITORING_SCOPE = None

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="+")
    lab_code = models.CharField("laboratory", max_length=20)
    file_name = models.CharField("file", max_length=255)
    checksum_sha256 = models.CharField("SHA-256 of the zip", max_length=64)
    spectrum_count = models.PositiveIntegerField("spectra")
    flagged_count = models.PositiveIntegerField("flagged by QC", default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name} ({self.spectrum_count} spectra)"


class SpectrumQuerySet(AuditedQuerySet):
    def lab_visible_to(self, user, lab_codes=None):
        """Spectra of the studies where the user is a central laboratory."""
        from trialsite.access import site_filter
        from trialsite.models import Role

        qs = self.filter(site_filter(user, roles={Role.CENTRAL_LAB}))
        return qs if lab_codes is None else qs.filter(batch__lab_code__in=lab_codes)


class Spectrum(AuditedModel):
    """One replicate spectrum of one aliquot, by one technique."""

    MONITORING_SCOPE = None

    batch = models.ForeignKey(SpectraBatch, on_delete=models.PROTECT, related_name="spectra")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    aliquot = models.ForeignKey(Aliquot, on_delete=models.PROTECT, related_name="spectra")
    technique = models.CharField(max_length=12)
    instrument = models.CharField(max_length=100)
    acquired_at = models.DateTimeField("acquired at")
    replicate = models.PositiveSmallIntegerField()
    file = models.FileField("file as received", upload_to=spectrum_upload_to, max_length=255)
    file_name = models.CharField("file name in the batch", max_length=255)
    source_format = models.CharField("format", max_length=8)
    checksum_sha256 = models.CharField("SHA-256 of the file", max_length=64)
    raw_points = models.PositiveIntegerField("points received")
    raw_min_cm1 = models.FloatField("lowest wavenumber received (cm-1)")
    raw_max_cm1 = models.FloatField("highest wavenumber received (cm-1)")
    axis_start = models.FloatField("resampled axis start (cm-1)")
    axis_step = models.FloatField("resampled axis step (cm-1)")
    axis_size = models.PositiveIntegerField("resampled points")
    values = models.BinaryField("resampled values (float64, little-endian)")
    qc = models.JSONField("QC figures", default=dict, blank=True)
    qc_flags = models.JSONField("QC flags", default=list, blank=True)
    qc_passed = models.BooleanField("QC passed")

    objects = SpectrumQuerySet.as_manager()

    class Meta:
        ordering = ["aliquot__label", "technique", "replicate"]
        constraints = [
            models.UniqueConstraint(fields=["aliquot", "technique", "replicate"],
                                    condition=Q(voided_at__isnull=True),
                                    name="spectrum_one_per_replicate"),
        ]

    def __str__(self):
        return f"{self.aliquot} {self.technique} #{self.replicate}"

    @property
    def array(self):
        return np.frombuffer(bytes(self.values), dtype="<f8")

    @property
    def grid(self):
        return self.axis_start + self.axis_step * np.arange(self.axis_size, dtype=float)


class AnalysisRun(AuditedModel):
    """One run of the protocol's fingerprint analysis, with its full provenance."""

    MONITORING_SCOPE = None

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField("progress (%)", default=0)
    progress_text = models.CharField(max_length=200, blank=True)
    data_cut = models.DateTimeField("data cut")
    seed = models.BigIntegerField()
    age_stratified = models.BooleanField("folds stratified by age group", default=False)
    permutations = models.PositiveIntegerField()
    parameters = models.JSONField(default=dict, blank=True)
    inputs = models.JSONField("inputs and their checksums", default=dict, blank=True)
    inputs_sha256 = models.CharField(max_length=64, blank=True)
    versions = models.JSONField("library versions", default=dict, blank=True)
    results = models.JSONField(default=dict, blank=True)
    results_sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Analysis {self.pk} of {self.study} ({self.get_status_display()})"
