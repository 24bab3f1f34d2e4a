"""Visits: each patient's planned visits, materialised from the protocol's schedule."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from enrollment.models import Patient
from trialsite.audit import AuditedModel, AuditedQuerySet
from visits.domain.schedule import VisitKind


class VisitQuerySet(AuditedQuerySet):
    def visible_to(self, user):
        from trialsite.access import site_filter

        return self.filter(site_filter(user, prefix="patient__site"))

    def planned(self):
        return self.active().filter(status=Visit.Status.PLANNED)

    def newly_overdue(self, *, on):
        """Planned, prospective visits whose window closed before ``on`` and not yet flagged."""
        return self.planned().filter(
            retrospective=False, window_end__lt=on, overdue_since__isnull=True
        )

    def overdue(self, *, on):
        return self.planned().filter(retrospective=False, window_end__lt=on)

    def open_on(self, day):
        return self.planned().filter(window_start__lte=day, window_end__gte=day)

    def opening_within(self, day, days):
        from datetime import timedelta

        return self.planned().filter(
            window_start__gt=day, window_start__lte=day + timedelta(days=days)
        )


class Visit(AuditedModel):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        COMPLETED = "completed", "Completed"
        INCOMPLETE = "incomplete", "Incomplete"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled"

    Kind = models.TextChoices(
        "Kind", [(k.name, (k.value, k.value.replace("_", " "))) for k in VisitKind]
    )

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="visits")
    code = models.CharField(max_length=16)
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind)
    target_date = models.DateField("target date")
    window_start = models.DateField("window opens")
    window_end = models.DateField("window closes")
    #: Window closed before enrolment: entered as history, never flagged overdue.
    retrospective = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status, default=Status.PLANNED)
    actual_date = models.DateField("visit date", null=True, blank=True)
    #: Day the daily job found the window closed without data; cleared when data arrive.
    overdue_since = models.DateField("overdue since", null=True, blank=True)
    status_reason = models.TextField("reason (missed or cancelled)", blank=True)
    forms = models.JSONField("expected forms", default=list, blank=True)
    required_forms = models.JSONField("required forms", default=list, blank=True)
    samples = models.JSONField("expected samples", default=list, blank=True)
    assessments = models.JSONField("expected assessments", default=list, blank=True)
    #: Codes of the forms entered for this visit (kept by the form services).
    entered_forms = models.JSONField("entered forms", default=list, blank=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "target_date", "code"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "code"], name="visit_code_per_patient"),
            models.CheckConstraint(condition=Q(window_start__lte=models.F("window_end")),
                                   name="visit_window_ordered"),
        ]
        indexes = [
            models.Index(fields=["status", "window_end"], name="visit_status_window_end"),
            models.Index(fields=["status", "window_start"], name="visit_status_window_start"),
        ]

    def __str__(self):
        return f"{self.patient} {self.code}"

    @property
    def missing_forms(self):
        return [code for code in self.required_forms if code not in self.entered_forms]


class VisitReminder(AuditedModel):
    """A reminder sent to one coordinator about one visit, so nobody gets the same one twice."""

    class Kind(models.TextChoices):
        OPENING = "opening", "Window opens within 7 days"
        OVERDUE = "overdue", "Newly overdue"

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="reminders")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    kind = models.CharField(max_length=10, choices=Kind)
    sent_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visit", "recipient", "kind"],
                                    name="reminder_once_per_visit_and_kind"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.visit} to {self.recipient}"


# The visit forms live in their own module; importing them here registers them with the app.
from visits.crf.models import *  # noqa: E402,F401,F403
