"""API tokens (stored as hashes), the log of API calls, and data packages."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from trialsite.audit import AuditedModel, AuditedQuerySet


class ApiTokenQuerySet(AuditedQuerySet):
    def usable(self, *, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, voided_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class ApiToken(AuditedModel):
    """A named API token of one user. Only the SHA-256 of the key is kept: shown once, never
    again, and a copy of the database gives nobody a working key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “SAS pull”.")
    #: The first characters of the key, shown in lists so the owner can tell tokens apart.
    prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField("expires at", null=True, blank=True)
    revoked_at = models.DateTimeField("revoked at", null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["user__username", "-created_at"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def status(self, now=None):
        now = now or timezone.now()
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= now:
            return "expired"
        return "active"


class ApiRequest(models.Model):
    """One call to the API: who (the token's user), with which token, what and when.

    A log, not clinical data: rows are only ever inserted."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                             blank=True, related_name="+")
    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="requests")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    query = models.CharField(max_length=1000, blank=True)
    status_code = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "API call"
        indexes = [models.Index(fields=["user", "at"], name="apirequest_user_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.user} {self.method} {self.path}"


class DataPackage(models.Model):
    """A zip of every dataset (CSV, SAS, SPSS, Stata), the dictionary, the ODM file and a
    README, built by a job; or, when ``dataset`` is set, that one dataset as one statistical
    file (``file_format``), built by the same job since these formats cannot be streamed."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    #: One dataset as one statistical file ("": the whole package).
    dataset = models.CharField(max_length=64, blank=True)
    file_format = models.CharField(max_length=8, blank=True,
                                   choices=[("xpt", "SAS transport v5"), ("sav", "SPSS"),
                                            ("dta", "Stata")])
    status = models.CharField(max_length=8, choices=Status, default=Status.QUEUED)
    #: Steps done out of ``steps_total`` (one per file of the package).
    steps_done = models.PositiveIntegerField(default=0)
    steps_total = models.PositiveIntegerField(default=0)
    current_step = models.CharField(max_length=100, blank=True)
    data_cut = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    #: After this the file is deleted from the store (TRIALSITE_PACKAGE_RETENTION_DAYS).
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        if self.dataset:
            return f"{self.dataset}.{self.file_format} ({self.status})"
        return f"Data package {self.pk} ({self.status})"

    @property
    def media_type(self):
        from trialsite.exports.statfiles import FORMATS

        return FORMATS[self.file_format].media_type if self.dataset else "application/zip"

    @property
    def percent(self):
        if self.status == self.Status.READY:
            return 100
        return int(100 * self.steps_done / self.steps_total) if self.steps_total else 0


class SiteArchive(AuditedModel):
    """One site's archive (ICH E6(R3) essential records): a zip with every casebook PDF of the
    site, its ODM file with audit records, its CSV datasets and a manifest with checksums.

    Requested by the data manager (on demand, or for every site at study close) and built by a
    job; the request and the job's outcome (built with its checksum, or failed) are audited
    saves, so the audit trail shows who asked, when, and what was produced. The job's progress
    is kept beside it (``SiteArchiveProgress``), not in the trail."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    class Occasion(models.TextChoices):
        ON_DEMAND = "on_demand", "On demand"
        STUDY_CLOSE = "study_close", "Study close"

    site = models.ForeignKey("trialsite.Site", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name="requested by")
    occasion = models.CharField(max_length=12, choices=Occasion, default=Occasion.ON_DEMAND)
    status = models.CharField(max_length=8, choices=Status, default=Status.QUEUED)
    data_cut = models.DateTimeField("data cut", null=True, blank=True)
    finished_at = models.DateTimeField("finished at", null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    size_bytes = models.BigIntegerField("size (bytes)", null=True, blank=True)
    sha256 = models.CharField("SHA-256 of the zip", max_length=64, blank=True)
    #: ``[{"name", "sha256", "size"}]`` of every file in the zip (the casebook PDFs' checksums).
    manifest = models.JSONField(default=list, blank=True)
    casebooks = models.PositiveIntegerField("casebook PDFs", default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "site archive"

    def __str__(self):
        return f"Site archive {self.pk} of {self.site.code} ({self.get_status_display()})"


class SiteArchiveProgress(models.Model):
    """How far the job building a site archive has got (not clinical data: overwritten)."""

    archive = models.OneToOneField(SiteArchive, on_delete=models.CASCADE,
                                   related_name="progress")
    steps_done = models.PositiveIntegerField(default=0)
    steps_total = models.PositiveIntegerField(default=0)
    current_step = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return f"{self.steps_done} of {self.steps_total}"

    @property
    def percent(self):
        return int(100 * self.steps_done / self.steps_total) if self.steps_total else 0
