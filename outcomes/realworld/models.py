"""Real-world data of PALMARES-2: lines of therapy, comorbidities, collected items, and the jobs
of the retrospective import.

The models belong to the ``outcomes`` app (app label and table names unchanged);
``outcomes/models.py`` imports this module at its end so Django finds them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from enrollment.models import Patient
from outcomes.models import OutcomesQuerySet
from trialsite.audit import AuditedModel

__all__ = [
    "CollectedItem",
    "Comorbidity",
    "ImportFile",
    "ImportJob",
    "LineResponse",
    "StopReason",
    "TreatmentLine",
]



class StopReason(models.TextChoices):
    PROGRESSION = "progression", "Progression"
    TOXICITY = "toxicity", "Toxicity"
    PATIENT_CHOICE = "patient_choice", "Patient choice"
    DEATH = "death", "Death"
    OTHER = "other", "Other"


class LineResponse(models.TextChoices):
    CR = "CR", "CR"
    PR = "PR", "PR"
    SD = "SD", "SD"
    PD = "PD", "PD"
    NE = "NE", "Not evaluable"
    NOT_ASSESSED = "NA", "Not assessed"


class TreatmentLine(AuditedModel):
    """One line of therapy for advanced disease, as the site recorded it."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField("line")
    drugs = models.JSONField("regimen (drugs)", default=list, blank=True)
    other_regimen = models.CharField("other drugs of the regimen", max_length=300, blank=True)
    start_date = models.DateField("start date")
    stop_date = models.DateField("stop date", null=True, blank=True)
    best_response = models.CharField("best response (as recorded by the site)", max_length=2,
                                     choices=LineResponse, default=LineResponse.NOT_ASSESSED)
    stop_reason = models.CharField("reason for stopping", max_length=16, choices=StopReason,
                                   blank=True)
    stop_reason_other = models.CharField("other reason for stopping", max_length=300,
                                         blank=True)

    objects = OutcomesQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "number"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "number"],
                                    condition=Q(voided_at__isnull=True),
                                    name="treatment_line_number_once"),
            models.CheckConstraint(condition=Q(stop_date__isnull=True)
                                   | Q(stop_date__gte=models.F("start_date")),
                                   name="treatment_line_stops_after_start"),
        ]

    def __str__(self):
        return f"{self.patient} line {self.number}"


class Comorbidity(AuditedModel):
    """A comorbidity present at baseline, from the protocol's coded list."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    code = models.CharField("comorbidity", max_length=32)
    details = models.CharField("details", max_length=300, blank=True)

    objects = OutcomesQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "comorbidities"
        constraints = [
            models.UniqueConstraint(fields=["patient", "code"],
                                    condition=Q(voided_at__isnull=True),
                                    name="comorbidity_once"),
        ]

    def __str__(self):
        return f"{self.patient} {self.code}"


class CollectedItem(AuditedModel):
    """An item of the imaging or translational sub-studies (scan, slide, tumour block)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("item", max_length=32)
    collected_on = models.DateField("collection date")
    storage_reference = models.CharField(
        "where it is stored", max_length=300,
        help_text="PACS accession or archive reference, slide scanner file, block location")
    consent_for_use = models.BooleanField("consent for its use in the sub-study")

    objects = OutcomesQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "kind"],
                                    condition=Q(voided_at__isnull=True),
                                    name="collected_item_once"),
        ]

    def __str__(self):
        return f"{self.patient} {self.kind}"


# --- retrospective import jobs -----------------------------------------------------------------


class ImportJob(AuditedModel):
    """A data manager's upload of real-world CSV files, checked and imported by a job.

    Audited like every record here: its history says who uploaded, and each step of the job
    (running, progress, imported or refused with every problem found).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Imported"
        REFUSED = "refused", "Refused (nothing imported)"
        FAILED = "failed", "Failed (nothing imported)"

    study = models.ForeignKey("trialsite.Study", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=8, choices=Status, default=Status.QUEUED)
    percent = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=100, blank=True)
    problems = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"Import {self.pk} into {self.study_id} ({self.status})"

    @property
    def finished(self):
        return self.status in (self.Status.DONE, self.Status.REFUSED, self.Status.FAILED)


class ImportFile(AuditedModel):
    """One uploaded file of an import job, kept as uploaded (its checksum is the reason)."""

    job = models.ForeignKey(ImportJob, on_delete=models.PROTECT, related_name="files")
    name = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "name"],
                                               name="import_file_once_per_job")]

    def __str__(self):
        return self.name
