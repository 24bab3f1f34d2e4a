"""Tumour assessments by RECIST 1.1: the baseline lesions and each follow-up's readings.

The responses themselves are not stored as truth: pages and services compute them with the pure
``outcomes.domain.recist`` functions over all of a patient's assessments. Only what the
investigator wrote (their own overall response) and whether it disagreed with the computed one
at the time of entry are kept on the assessment.
"""

from django.db import models
from django.db.models import Q

from enrollment.models import Patient
from outcomes.domain import recist
from trialsite.audit import AuditedModel, AuditedQuerySet
from visits.models import Visit

FORM_CODE = "tumour_assessment"


class OutcomesQuerySet(AuditedQuerySet):
    def visible_to(self, user):
        from trialsite.access import site_filter

        return self.filter(site_filter(user, prefix="patient__site"))


class Method(models.TextChoices):
    CT = "CT", "CT"
    MRI = "MRI", "MRI"


ResponseChoice = models.TextChoices("ResponseChoice", [(r.name, (r.value, r.value))
                                                       for r in recist.Response])
NewLesionsChoice = models.TextChoices("NewLesionsChoice", [
    ("NO", ("NO", "No")), ("YES", ("YES", "Yes")), ("EQUIVOCAL", ("EQUIVOCAL", "Equivocal")),
])
NonTargetStatusChoice = models.TextChoices("NonTargetStatusChoice", [
    ("ABSENT", ("ABSENT", "Absent")), ("PRESENT", ("PRESENT", "Present")),
    ("UNEQUIVOCAL_PD", ("UNEQUIVOCAL_PD", "Unequivocal progression")),
    ("NE", ("NE", "Not evaluated")),
])


class _BaselineLesion(AuditedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    lesion_id = models.CharField("lesion", max_length=8)
    organ = models.CharField(max_length=100)
    nodal = models.BooleanField(default=False)
    method = models.CharField(max_length=3, choices=Method, default=Method.CT)
    baseline_date = models.DateField("baseline date")

    objects = OutcomesQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["patient", "id"]

    def __str__(self):
        return f"{self.patient} {self.lesion_id} ({self.organ})"


class TargetLesion(_BaselineLesion):
    """A measurable lesion chosen at baseline: longest diameter, short axis if nodal."""

    diameter_mm = models.DecimalField("baseline diameter (mm)", max_digits=5, decimal_places=1)

    class Meta(_BaselineLesion.Meta):
        constraints = [
            models.UniqueConstraint(fields=["patient", "lesion_id"], name="target_lesion_id_once"),
            models.CheckConstraint(condition=Q(diameter_mm__gte=0),
                                   name="target_lesion_diameter_not_negative"),
        ]


class NonTargetLesion(_BaselineLesion):
    """A lesion followed only qualitatively."""

    class Meta(_BaselineLesion.Meta):
        constraints = [
            models.UniqueConstraint(fields=["patient", "lesion_id"],
                                    name="nontarget_lesion_id_once"),
        ]


class TumourAssessment(AuditedModel):
    """One follow-up tumour assessment, at a scheduled visit or unscheduled (no visit)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    assessment_date = models.DateField("assessment date")
    new_lesions = models.CharField("new lesions", max_length=10, choices=NewLesionsChoice,
                                   default="NO", blank=True)
    new_lesion_site = models.CharField("site of new lesions", max_length=200, blank=True)
    investigator_response = models.CharField("investigator's overall response", max_length=16,
                                             choices=ResponseChoice, blank=True)
    #: An overall response assessed elsewhere (real-world records): no lesion readings are
    #: stored then, and this is the time point's overall response as given.
    reported_response = models.CharField("reported overall response", max_length=16,
                                         choices=ResponseChoice, blank=True)
    #: The response computed by RECIST 1.1 when the assessment was entered.
    computed_response = models.CharField("computed overall response", max_length=16,
                                         choices=ResponseChoice, blank=True)
    #: The investigator's response differs from the computed one.
    disagreement = models.BooleanField(default=False)

    objects = OutcomesQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "assessment_date"]
        constraints = [
            # A voided assessment stays visible in the trail but frees its date and visit
            # for the corrected one.
            models.UniqueConstraint(fields=["patient", "assessment_date"],
                                    condition=Q(voided_at__isnull=True),
                                    name="tumour_assessment_date_once"),
            models.UniqueConstraint(fields=["visit"],
                                    condition=Q(visit__isnull=False, voided_at__isnull=True),
                                    name="tumour_assessment_once_per_visit"),
            # Only a follow-up carrying a reported overall response may leave new lesions out.
            models.CheckConstraint(condition=~Q(new_lesions="") | ~Q(reported_response=""),
                                   name="tumour_assessment_new_lesions_given"),
        ]

    def __str__(self):
        return f"{self.patient} tumour assessment {self.assessment_date:%Y-%m-%d}"

    @property
    def is_reported(self):
        """Only an overall response assessed elsewhere, no lesion readings."""
        return bool(self.reported_response)


class TargetMeasurement(AuditedModel):
    """A target lesion at a follow-up: millimetres, too small to measure, or not evaluated."""

    class State(models.TextChoices):
        MEASURED = "measured", "Measured"
        TSTM = "TSTM", "Too small to measure"
        NE = "NE", "Not evaluated"

    assessment = models.ForeignKey(TumourAssessment, on_delete=models.PROTECT,
                                   related_name="measurements")
    lesion = models.ForeignKey(TargetLesion, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State, default=State.MEASURED)
    diameter_mm = models.DecimalField("diameter (mm)", max_digits=5, decimal_places=1,
                                      null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "lesion"],
                                    name="target_measurement_once"),
            models.CheckConstraint(
                condition=(Q(state="measured", diameter_mm__gte=0)
                           | (~Q(state="measured") & Q(diameter_mm__isnull=True))),
                name="target_measurement_value_matches_state"),
        ]

    def __str__(self):
        return f"{self.assessment}: {self.lesion.lesion_id}"

    @property
    def value(self):
        """The measurement as the pure RECIST functions take it."""
        if self.state == self.State.MEASURED:
            return self.diameter_mm
        return recist.TSTM if self.state == self.State.TSTM else None


class NonTargetStatus(AuditedModel):
    """A non-target lesion's state at a follow-up."""

    assessment = models.ForeignKey(TumourAssessment, on_delete=models.PROTECT,
                                   related_name="statuses")
    lesion = models.ForeignKey(NonTargetLesion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=NonTargetStatusChoice)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "lesion"], name="nontarget_status_once"),
        ]

    def __str__(self):
        return f"{self.assessment}: {self.lesion.lesion_id} {self.status}"


# The real-world models live with the rest of the real-world sub-domain.
from outcomes.realworld.models import *  # noqa: E402,F401,F403
