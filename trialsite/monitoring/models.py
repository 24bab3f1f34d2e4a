"""Monitoring records: locks, data queries and their messages, SDV marks, casebook signatures.

Each is itself an audited record. SDV marks and signatures store the record version (or the
digest of the record versions) they covered, so "changed since" is computed from the data and
cannot be forgotten by a code path that did not clear a flag.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from trialsite.audit import AuditedModel, AuditedQuerySet, AuditError
from trialsite.models import Site


class ScopedQuerySet(AuditedQuerySet):
    def visible_to(self, user, roles=None):
        from trialsite import access

        if roles is None:
            return self.filter(access.site_filter(user))
        return self.filter(access.site_filter(user, roles=roles))


class Scoped(models.Model):
    """Where a monitoring record belongs: its site, and the patient and visit ids (if any).

    Patient and visit are kept as ids because their models live in apps above this one.
    """

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    patient_pk = models.PositiveBigIntegerField("patient id", null=True, blank=True)
    visit_pk = models.PositiveBigIntegerField("visit id", null=True, blank=True)
    patient_label = models.CharField("patient", max_length=40, blank=True)

    class Meta:
        abstract = True


class Lock(Scoped, AuditedModel):
    """A data manager's lock on a visit, a patient or a whole site. Unlocking is an update."""

    class Level(models.TextChoices):
        SITE = "site", "Site"
        PATIENT = "patient", "Patient"
        VISIT = "visit", "Visit"

    level = models.CharField(max_length=8, choices=Level)
    target_label = models.CharField("locked", max_length=120)
    lock_reason = models.TextField("reason for locking")
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name="locked by")
    unlocked_at = models.DateTimeField("unlocked at", null=True, blank=True)
    unlocked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", null=True, blank=True,
                                    verbose_name="unlocked by")
    unlock_reason = models.TextField("reason for unlocking", blank=True)

    objects = ScopedQuerySet.as_manager()

    MONITORING_SCOPE = None

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["level", "site", "patient_pk", "visit_pk"],
                condition=Q(unlocked_at__isnull=True),
                name="lock_once_while_active",
            ),
        ]
        indexes = [
            models.Index(fields=["level", "unlocked_at"], name="lock_level_active"),
            models.Index(fields=["patient_pk"], name="lock_patient"),
            models.Index(fields=["visit_pk"], name="lock_visit"),
        ]

    def __str__(self):
        return f"Lock on {self.get_level_display().lower()} {self.target_label}"

    @property
    def is_active(self):
        return self.unlocked_at is None


class RecordRef(models.Model):
    """Which audited record (any model) a monitoring record is about."""

    record_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="form")
    record_id = models.PositiveBigIntegerField("record id")
    record_label = models.CharField("record", max_length=200)

    class Meta:
        abstract = True

    @property
    def record(self):
        cached = getattr(self, "_record_cache", None)
        if cached is None:
            model = self.record_type.model_class()
            cached = model._base_manager.get(pk=self.record_id)
            self._record_cache = cached
        return cached

    @property
    def record_key(self):
        return f"{self.record_type.app_label}.{self.record_type.model}"

    @property
    def form_label(self):
        model = self.record_type.model_class()
        return str(model._meta.verbose_name).capitalize() if model else self.record_type.model


class Query(Scoped, RecordRef, AuditedModel):
    """A data query on a record, optionally on one field. Never deleted or voided."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"

    field_name = models.CharField("field", max_length=64, blank=True)
    field_label = models.CharField("field label", max_length=200, blank=True)
    #: The record's version when the query was opened (its corrections come after).
    record_version = models.PositiveIntegerField("record version when opened")
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name="opened by")
    #: The protocol edit check that opened it (automatic queries), else "".
    check_code = models.CharField("edit check", max_length=32, blank=True)
    closed_at = models.DateTimeField("closed at", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    MONITORING_SCOPE = None

    class Meta:
        verbose_name = "data query"
        verbose_name_plural = "data queries"
        ordering = ["-created_at"]
        constraints = [
            # One live automatic query per record, field and check: re-running is idempotent.
            models.UniqueConstraint(
                fields=["record_type", "record_id", "field_name", "check_code"],
                condition=~Q(check_code="") & ~Q(status="closed"),
                name="auto_query_once_while_live",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "status", "created_at"], name="query_site_status"),
            models.Index(fields=["record_type", "record_id"], name="query_record"),
            models.Index(fields=["patient_pk", "status"], name="query_patient_status"),
        ]

    def __str__(self):
        return f"Query #{self.pk} on {self.record_label}"

    def save(self, *args, **kwargs):
        if self.voided_at is not None:
            raise AuditError("Data queries are never voided: close them with a message.")
        super().save(*args, **kwargs)

    @property
    def is_automatic(self):
        return bool(self.check_code)


class QueryMessage(AuditedModel):
    """One message of a query's thread. Append-only: a saved message never changes."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Re-opened"

    query = models.ForeignKey(Query, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind)
    text = models.TextField("message")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    #: The record version the answer's correction produced (links answer ↔ correction).
    correction_version = models.PositiveIntegerField("correction (record version)", null=True,
                                                     blank=True)

    MONITORING_SCOPE = None

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} — query #{self.query_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditError("Query messages are append-only: add a new message instead.")
        super().save(*args, **kwargs)


class SdvMark(Scoped, RecordRef, AuditedModel):
    """A monitor's source data verification of one record, at the version verified."""

    record_version = models.PositiveIntegerField("record version verified")
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="verified by")
    verified_at = models.DateTimeField("verified at")

    objects = ScopedQuerySet.as_manager()

    MONITORING_SCOPE = None

    class Meta:
        verbose_name = "SDV mark"
        constraints = [
            models.UniqueConstraint(fields=["record_type", "record_id"],
                                    name="sdv_mark_once_per_record"),
        ]
        indexes = [
            models.Index(fields=["site", "patient_pk"], name="sdv_site_patient"),
        ]

    def __str__(self):
        return f"SDV of {self.record_label} at version {self.record_version}"


class CasebookSignature(Scoped, AuditedModel):
    """An investigator's electronic signature of a patient's casebook (21 CFR 11.50/11.200)."""

    MEANING = ("I have reviewed this casebook and attest that its data are complete and "
               "accurate to the best of my knowledge")

    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name="signed by")
    printed_name = models.CharField("printed name", max_length=200)
    signed_at = models.DateTimeField("signed at (UTC)")
    meaning = models.CharField(max_length=300)
    #: SHA-256 of the manifest: every record of the casebook with its version.
    content_hash = models.CharField("digest of what was signed", max_length=64)
    manifest = models.JSONField("records signed", default=list)

    objects = ScopedQuerySet.as_manager()

    MONITORING_SCOPE = None

    class Meta:
        verbose_name = "casebook signature"
        ordering = ["-signed_at", "-pk"]
        indexes = [models.Index(fields=["patient_pk", "signed_at"], name="signature_patient")]
        constraints = [
            models.UniqueConstraint(fields=["patient_pk", "signer", "content_hash"],
                                    condition=models.Q(voided_at__isnull=True),
                                    name="signature_once_per_content"),
        ]

    def __str__(self):
        return f"Casebook of {self.patient_label} signed by {self.printed_name}"
