"""Studies, sites, people and their roles."""

from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from trialsite.audit import AuditedModel, AuditedQuerySet


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Site coordinator"
    INVESTIGATOR = "investigator", "Investigator"
    MONITOR = "monitor", "Monitor"
    DATA_MANAGER = "data_manager", "Data manager"
    SPONSOR = "sponsor", "Sponsor"
    CENTRAL_LAB = "central_lab", "Central laboratory"
    STATISTICIAN = "statistician", "Study statistician"


#: Roles granted study-wide (no site); every other role is granted at one site.
STUDY_WIDE_ROLES = frozenset({Role.DATA_MANAGER, Role.SPONSOR, Role.CENTRAL_LAB,
                              Role.STATISTICIAN})
#: Roles that enter and correct clinical data at their sites.
DATA_ENTRY_ROLES = frozenset({Role.COORDINATOR, Role.INVESTIGATOR})
#: Roles that see clinical data of the sites they cover.
CLINICAL_READ_ROLES = frozenset(
    {Role.COORDINATOR, Role.INVESTIGATOR, Role.MONITOR, Role.DATA_MANAGER, Role.SPONSOR}
)


class User(AbstractUser):
    """A person who logs in. Account changes are in the audit trail (never the password hash)."""

    #: Set when an administrator resets the password: until the user sets a new one, every
    #: page leads to the password change, so an administrator cannot act (or sign) as them.
    password_change_required = models.BooleanField(default=False)

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects = UserManager()

    class Meta:
        ordering = ["username"]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def printed_name(self):
        return self.get_full_name() or self.username


def validate_time_zone(value):
    if value not in available_timezones():
        raise ValidationError(f"Unknown time zone {value!r}; use an IANA name such as Asia/Riyadh.")


class StudyQuerySet(AuditedQuerySet):
    def visible_to(self, user):
        from trialsite import access

        return access.studies_visible_to(user, self)


class Study(AuditedModel):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        RECRUITING = "recruiting", "Recruiting"
        CLOSED = "closed", "Closed to recruitment"
        COMPLETED = "completed", "Completed"

    code = models.CharField(max_length=32, unique=True)
    registry_id = models.CharField("registry id", max_length=32, unique=True)
    title = models.CharField(max_length=500)
    status = models.CharField(max_length=16, choices=Status, default=Status.PLANNED)

    objects = StudyQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "studies"

    def __str__(self):
        return self.code

    @property
    def protocol(self):
        from trialsite.protocols import get_protocol

        return get_protocol(self.code)


class SiteQuerySet(AuditedQuerySet):
    def visible_to(self, user):
        from trialsite import access

        return access.sites_visible_to(user, self)


class Site(AuditedModel):
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="sites")
    code = models.CharField(
        max_length=12,
        help_text="Short code used in subject ids, e.g. DZ01 gives DZ01-001.",
    )
    name = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    target_enrolment = models.PositiveIntegerField(default=0)

    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["study__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="site_code_unique"),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z0-9]{2,12}$"), name="site_code_format"
            ),
        ]

    def __str__(self):
        return f"{self.code} — {self.name}"


class MembershipQuerySet(AuditedQuerySet):
    def current(self):
        return self.active()


class Membership(AuditedModel):
    """A role granted to a user at one site, or study-wide for the study-wide roles."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="memberships")
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="memberships", null=True, blank=True
    )
    role = models.CharField(max_length=16, choices=Role)
    #: The central laboratory a central-lab member works for (a lab code of the study's sample
    #: plan): the member receives only shipments addressed to that laboratory.
    laboratory = models.CharField(
        max_length=20, blank=True,
        help_text="Central laboratory role only: the code of the laboratory (from the protocol's "
                  "sample plan) whose shipments this person receives.",
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["user__username", "study__code", "site__code", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "study", "site", "role"],
                condition=Q(voided_at__isnull=True),
                name="membership_unique_active",
            ),
        ]

    def __str__(self):
        where = self.site.code if self.site_id else f"{self.study.code} (all sites)"
        return f"{self.user} — {self.get_role_display()} — {where}"

    def clean(self):
        if self.role in STUDY_WIDE_ROLES and self.site_id:
            raise ValidationError({"site": "This role is granted for the whole study, not a site."})
        if self.role not in STUDY_WIDE_ROLES and not self.site_id:
            raise ValidationError({"site": "This role is granted at one site: choose the site."})
        if self.site_id and self.study_id and self.site.study_id != self.study_id:
            raise ValidationError({"site": "The site belongs to another study."})
        if self.role != Role.CENTRAL_LAB and self.laboratory:
            raise ValidationError({"laboratory": "Only the central laboratory role has one."})
        if self.role == Role.CENTRAL_LAB and self.study_id:
            try:
                plan = self.study.protocol.sample_plan
            except KeyError:  # a study without a declared protocol has no laboratories
                plan = None
            codes = [lab.code for lab in plan.labs] if plan is not None else []
            if codes and self.laboratory not in codes:
                raise ValidationError({"laboratory": "Choose the laboratory this person works "
                                                     f"for: {', '.join(codes)}."})


# --- audit-trail tamper evidence (see trialsite/audit_chain.py and docs/security.md) -----------


class AuditChainLink(models.Model):
    """One link of a history table's hash chain: the rows one INSERT statement wrote.

    Written by database triggers only (PostgreSQL): ``history_ids`` and ``row_hashes`` (32 bytes
    of SHA-256 per row, in the same order) when the statement runs; ``seq``, ``prev_hash`` and
    ``chain_hash = SHA-256(prev_hash || row_hashes)`` when the transaction commits.
    """

    table_name = models.CharField(max_length=128)
    seq = models.BigIntegerField(null=True, editable=False)
    history_ids = models.TextField(editable=False)
    columns = models.TextField(editable=False)
    row_hashes = models.BinaryField(editable=False)
    prev_hash = models.BinaryField(null=True, editable=False)
    chain_hash = models.BinaryField(null=True, editable=False)
    created_at = models.DateTimeField(editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["table_name", "seq"], name="audit_chain_link_seq"),
        ]

    def __str__(self):
        return f"{self.table_name} #{self.seq}"


class AuditChainHead(models.Model):
    """The last link of one history table's chain (updated by the commit-time trigger)."""

    table_name = models.CharField(max_length=128, primary_key=True)
    seq = models.BigIntegerField(default=0)
    head_hash = models.BinaryField(null=True)

    def __str__(self):
        return f"{self.table_name} @ {self.seq}"


class AuditTrailVerification(models.Model):
    """The outcome of one verification of every history table's hash chain."""

    class Outcome(models.TextChoices):
        INTACT = "intact", "Intact"
        BROKEN = "broken", "Broken"
        NOT_AVAILABLE = "not_available", "Not available on this database"

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=Outcome)
    tables_checked = models.PositiveIntegerField(default=0)
    rows_checked = models.BigIntegerField(default=0)
    #: Each break located: ``{"table", "history_id", "record_id", "seq", "problem"}``.
    breaks = models.JSONField(default=list)
    #: ``{table: [seq, head hash hex]}`` at verification, checked again by the next run.
    heads = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.outcome}"


class SubmissionToken(models.Model):
    """A create form's one-time token (or an API call's ``Idempotency-Key``), once used.

    The first submission claims the key (a unique row, committed at once); a second submission
    of the same key is answered with the first one's result instead of writing again.
    """

    key = models.CharField(max_length=80, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    #: Where the first submission sent the user (its redirect), once it finished.
    location = models.CharField(max_length=500, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True)

    def __str__(self):
        return self.key
