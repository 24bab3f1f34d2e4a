"""Patients: pseudonymous subjects, their consent, status and withdrawal. No names, ever."""

from django.db import models
from django.db.models import Q

from enrollment.domain.lifecycle import PatientStatus, age_in_years
from trialsite.audit import AuditedModel, AuditedQuerySet
from trialsite.models import Site


class PatientQuerySet(AuditedQuerySet):
    def visible_to(self, user):
        from trialsite.access import site_filter

        return self.filter(site_filter(user))

    def of_study(self, study):
        return self.filter(site__study=study)


class Patient(AuditedModel):
    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"

    Status = models.TextChoices(
        "Status", [(s.name, (s.value, s.label)) for s in PatientStatus]
    )

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patients")
    subject_number = models.PositiveIntegerField(editable=False)
    subject_id = models.CharField("subject id", max_length=20, unique=True, editable=False)
    sex = models.CharField(max_length=1, choices=Sex)
    birth_date = models.DateField("birth date")
    consent_date = models.DateField("informed consent date")
    consent_version = models.CharField("consent form version", max_length=20)
    status = models.CharField(
        max_length=16, choices=Status, default=PatientStatus.SCREENING, db_index=True
    )
    withdrawal_date = models.DateField("withdrawal date", null=True, blank=True)
    withdrawal_reason = models.TextField("withdrawal reason", blank=True)
    death_date = models.DateField("date of death", null=True, blank=True)
    death_cause = models.CharField(
        "cause of death", max_length=24, blank=True,
        choices=[("progression", "disease progression"), ("adverse_event", "adverse event"),
                 ("other", "other")],
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["site__code", "subject_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "subject_number"], name="patient_number_per_site"
            ),
            models.CheckConstraint(
                condition=Q(consent_date__gte=models.F("birth_date")),
                name="patient_consent_after_birth",
            ),
            models.CheckConstraint(
                condition=Q(withdrawal_date__isnull=True)
                | Q(withdrawal_date__gte=models.F("consent_date")),
                name="patient_withdrawal_after_consent",
            ),
        ]

    def __str__(self):
        return self.subject_id

    @property
    def study(self):
        return self.site.study

    @property
    def age_at_consent(self):
        return age_in_years(self.birth_date, self.consent_date)

    @property
    def status_label(self):
        return PatientStatus(self.status).label


class EnrolmentQuerySet(AuditedQuerySet):
    def visible_to(self, user):
        from trialsite.access import site_filter

        return self.filter(site_filter(user, prefix="patient__site"))


class Enrolment(AuditedModel):
    """Day 1 and the first-line treatment, recorded when an eligible patient is enrolled."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="enrolment")
    day1 = models.DateField("day 1")
    cdk46i = models.CharField("CDK4/6 inhibitor", max_length=32)
    cdk46i_start_dose_mg = models.DecimalField(
        "CDK4/6 inhibitor starting dose (mg)", max_digits=6, decimal_places=2
    )
    endocrine = models.CharField("endocrine therapy", max_length=32)
    ovarian_suppression = models.BooleanField("ovarian function suppression", default=False)
    progression_date = models.DateField("progression date", null=True, blank=True)
    progression_basis = models.CharField(
        "progression assessed", max_length=16, blank=True,
        choices=[("radiological", "radiological (RECIST 1.1)"), ("clinical", "clinical")],
    )

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(cdk46i_start_dose_mg__gt=0), name="enrolment_dose_positive"
            ),
        ]

    def __str__(self):
        return f"{self.patient} enrolled, day 1 {self.day1:%Y-%m-%d}"
