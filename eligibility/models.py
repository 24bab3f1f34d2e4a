"""Screening: the values a coordinator enters and the verdict computed from them."""

from django.conf import settings
from django.db import models

from eligibility.domain.engine import Verdict
from enrollment.models import Patient
from trialsite.audit import AuditedModel, AuditedQuerySet


class ScreeningQuerySet(AuditedQuerySet):
    def visible_to(self, user):
        from trialsite.access import site_filter

        return self.filter(site_filter(user, prefix="patient__site"))


class Screening(AuditedModel):
    """One patient's screening. Values are protocol variables, stored by their export names.

    Values are kept as canonical strings in the protocol's units (dates ISO 8601), so the stored
    record is exactly what the engine evaluated and what exports carry.
    """

    CONFIRMATION_MEANING = "I confirm this patient meets all eligibility criteria"

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="screening")
    values = models.JSONField("screening values", default=dict, blank=True)
    verdict = models.CharField(
        max_length=16, choices=[(v.value, v.value.replace("_", " ").capitalize()) for v in Verdict],
        default=Verdict.INCOMPLETE,
    )
    failed_criteria = models.JSONField("failed criteria", default=list, blank=True)
    missing_variables = models.JSONField("missing data", default=list, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name="eligibility confirmed by",
    )
    confirmed_at = models.DateTimeField("eligibility confirmed at", null=True, blank=True)
    #: The signer's printed name and the meaning as they were at signing (21 CFR 11.50): a later
    #: rename of the account does not change what the signature shows.
    confirmed_by_name = models.CharField("confirmed by (printed name)", max_length=300,
                                         blank=True)
    confirmation_meaning = models.CharField("meaning of the confirmation", max_length=300,
                                            blank=True)
    confirmed_values_hash = models.CharField(max_length=64, blank=True)
    confirmation_invalidated_at = models.DateTimeField(
        "confirmation invalidated at", null=True, blank=True
    )
    screen_failed_at = models.DateTimeField("screen failure recorded at", null=True, blank=True)

    objects = ScreeningQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(confirmed_at__isnull=True)
                | models.Q(verdict=Verdict.ELIGIBLE, confirmed_by__isnull=False),
                name="screening_confirmed_only_when_eligible",
            ),
        ]

    def __str__(self):
        return f"Screening of {self.patient}"

    @property
    def is_confirmed(self):
        return self.confirmed_at is not None
