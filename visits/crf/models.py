"""Visit forms (case report forms): what a coordinator enters at a visit.

Measurements are one record per visit (``VisitRecord`` subclasses, ``visit`` one-to-one);
adverse events and concomitant medications are lists kept per patient, each entry naming the
visit it was reported at. ``ListReview`` is the coordinator's statement that a list has nothing
new at a visit, so a visit without new events can still have its list form entered.

The rules that need nothing but the record itself (ranges, diastolic below systolic, end after
start, grade 5 is fatal, a serious event names its criteria) are here, in field validators and
``clean()``, with the database constraints behind them; rules that need the visit, the patient
or the protocol (dose levels, height at baseline, dates before today) are in ``crf_services``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from enrollment.models import Patient
from trialsite.audit import AuditedModel, AuditedQuerySet
from visits.crf.domain.ctcae import CtcaeTerm
from visits.crf.domain.exposure import DISCONTINUED  # noqa: F401 (the dose level "stopped")
from visits.models import Visit

__all__ = [
    "AdverseEvent",
    "Chemistry",
    "ConcomitantMedication",
    "DrugExposure",
    "Haematology",
    "ListReview",
    "PerformanceStatus",
    "SurvivalStatus",
    "VitalSigns",
]


# --- measures: unit and plausible range, shared by model validators and form fields -----------


@dataclass(frozen=True)
class Measure:
    """A quantity's unit, the spellings accepted for it and its plausible range (inclusive)."""

    unit: str
    low: Decimal
    high: Decimal
    max_digits: int = 7
    decimal_places: int = 2
    #: Other spellings, or other units, with the factor that converts a value into ``unit``.
    aliases: dict[str, Decimal] = field(default_factory=dict)

    @property
    def accepted(self):
        return {self.unit: Decimal(1), **self.aliases}

    @property
    def range_text(self):
        return f"{self.low}–{self.high} {self.unit}"

    def validators(self):
        message = f"Out of range: expected {self.range_text}. Check the value and its unit."
        return [MinValueValidator(self.low, message=message),
                MaxValueValidator(self.high, message=message)]

    def decimal_field(self, verbose_name, **kwargs):
        return models.DecimalField(
            verbose_name, max_digits=self.max_digits, decimal_places=self.decimal_places,
            validators=self.validators(), **kwargs,
        )

    def integer_field(self, verbose_name, **kwargs):
        return models.PositiveSmallIntegerField(verbose_name, validators=self.validators(),
                                                **kwargs)


def _d(text):
    return Decimal(text)


_ONE = Decimal(1)
_PER_LITRE_E9 = {"G/L": _ONE, "10^9/L": _ONE, "x10^9/L": _ONE, "×10⁹/L": _ONE, "10⁹/L": _ONE,
                 "10^3/uL": _ONE, "10³/µL": _ONE, "/nL": _ONE}
_UNITS_PER_LITRE = {"IU/L": _ONE, "UI/L": _ONE}

WEIGHT = Measure("kg", _d("20"), _d("300"), 5, 1)
HEIGHT = Measure("cm", _d("100"), _d("230"), 4, 1)
SYSTOLIC = Measure("mmHg", _d("50"), _d("260"), 3, 0)
DIASTOLIC = Measure("mmHg", _d("30"), _d("160"), 3, 0)
HEART_RATE = Measure("/min", _d("30"), _d("220"), 3, 0,
                     aliases={"bpm": _ONE, "beats/min": _ONE, "min-1": _ONE})
TEMPERATURE = Measure("°C", _d("34"), _d("42"), 3, 1, aliases={"C": _ONE, "degC": _ONE})

NEUTROPHILS = Measure("G/L", _d("0"), _d("100"), 6, 2, aliases=_PER_LITRE_E9)
LEUCOCYTES = Measure("G/L", _d("0"), _d("500"), 6, 2, aliases=_PER_LITRE_E9)
PLATELETS = Measure("G/L", _d("0"), _d("3000"), 6, 1, aliases=_PER_LITRE_E9)
LYMPHOCYTES = Measure("G/L", _d("0"), _d("500"), 6, 2, aliases=_PER_LITRE_E9)
#: Stored in g/dL; many European laboratories report g/L, converted on entry.
HAEMOGLOBIN = Measure("g/dL", _d("2"), _d("25"), 5, 2, aliases={"g/L": _d("0.1")})
_MICROMOLAR = {"umol/L": _ONE, "\u03bcmol/L": _ONE}  # "u" and the Greek mu for the micro sign
BILIRUBIN = Measure("µmol/L", _d("0"), _d("1000"), 7, 1, aliases=_MICROMOLAR)
AMINOTRANSFERASE = Measure("U/L", _d("0"), _d("10000"), 7, 1, aliases=_UNITS_PER_LITRE)
ALKALINE_PHOSPHATASE = Measure("U/L", _d("0"), _d("10000"), 7, 1, aliases=_UNITS_PER_LITRE)
CREATININE = Measure("µmol/L", _d("0"), _d("3000"), 7, 1, aliases=_MICROMOLAR)
CALCIUM = Measure("mmol/L", _d("0.5"), _d("6"), 4, 2)


@dataclass(frozen=True)
class Analyte:
    """One laboratory value of a lab form, with its reference range and CTCAE grading."""

    name: str
    label: str
    measure: Measure
    #: The CTCAE v5 term graded from it, or None when the value is not graded.
    term: CtcaeTerm | None = None
    #: Screening variable holding the patient's baseline value (increased terms), if any.
    screening_variable: str = ""

    @property
    def limit_needed(self):
        """Which reference limit grading needs: "lln" (decreased terms), "uln" or ""."""
        if self.term is None:
            return ""
        return "uln" if self.term.name.endswith("_INCREASED") else "lln"


HAEMATOLOGY_ANALYTES = (
    Analyte("neutrophils", "Neutrophils", NEUTROPHILS, CtcaeTerm.NEUTROPHIL_COUNT_DECREASED),
    Analyte("leucocytes", "Leucocytes", LEUCOCYTES, CtcaeTerm.WHITE_BLOOD_CELL_DECREASED),
    Analyte("platelets", "Platelets", PLATELETS, CtcaeTerm.PLATELET_COUNT_DECREASED),
    Analyte("haemoglobin", "Haemoglobin", HAEMOGLOBIN, CtcaeTerm.ANAEMIA),
    Analyte("lymphocytes", "Lymphocytes", LYMPHOCYTES, CtcaeTerm.LYMPHOCYTE_COUNT_DECREASED),
)
CHEMISTRY_ANALYTES = (
    Analyte("bilirubin", "Total bilirubin", BILIRUBIN, CtcaeTerm.BILIRUBIN_INCREASED,
            screening_variable="bilirubin"),
    Analyte("ast", "AST", AMINOTRANSFERASE, CtcaeTerm.AST_INCREASED, screening_variable="ast"),
    Analyte("alt", "ALT", AMINOTRANSFERASE, CtcaeTerm.ALT_INCREASED, screening_variable="alt"),
    Analyte("alp", "Alkaline phosphatase", ALKALINE_PHOSPHATASE,
            CtcaeTerm.ALKALINE_PHOSPHATASE_INCREASED, screening_variable="alp"),
    Analyte("creatinine", "Creatinine", CREATININE, CtcaeTerm.CREATININE_INCREASED,
            screening_variable="creatinine"),
    Analyte("calcium", "Calcium", CALCIUM),
)


def _lab_fields(analyte):
    """Value, LLN and ULN fields of one analyte, all optional (a value may not be done)."""
    unit = analyte.measure.unit
    return (
        analyte.measure.decimal_field(f"{analyte.label} ({unit})", null=True, blank=True),
        analyte.measure.decimal_field(f"{analyte.label} LLN ({unit})", null=True, blank=True),
        analyte.measure.decimal_field(f"{analyte.label} ULN ({unit})", null=True, blank=True),
    )


def _range_constraints(prefix, analytes):
    return [
        models.CheckConstraint(
            condition=Q(**{f"{a.name}_lln__isnull": True}) | Q(**{f"{a.name}_uln__isnull": True})
            | Q(**{f"{a.name}_lln__lt": F(f"{a.name}_uln")}),
            name=f"{prefix}_{a.name}_range_ordered",
        )
        for a in analytes
    ]


# --- terms ------------------------------------------------------------------------------------

#: CTCAE v5 terms these treatments (CDK4/6 inhibitors with endocrine therapy) commonly cause,
#: offered as a searchable list; any other term may be typed in.
AE_TERMS = (
    "Neutrophil count decreased",
    "White blood cell decreased",
    "Anemia",
    "Platelet count decreased",
    "Lymphocyte count decreased",
    "Febrile neutropenia",
    "Fatigue",
    "Nausea",
    "Vomiting",
    "Diarrhea",
    "Constipation",
    "Abdominal pain",
    "Decreased appetite",
    "Stomatitis",
    "Dysgeusia",
    "Alopecia",
    "Rash maculo-papular",
    "Dry skin",
    "Pruritus",
    "Alanine aminotransferase increased",
    "Aspartate aminotransferase increased",
    "Blood bilirubin increased",
    "Creatinine increased",
    "Electrocardiogram QT corrected interval prolonged",
    "Pneumonitis",
    "Thromboembolic event",
    "Hot flashes",
    "Arthralgia",
    "Myalgia",
    "Back pain",
    "Headache",
    "Dizziness",
    "Insomnia",
    "Cough",
    "Dyspnea",
    "Upper respiratory infection",
    "Urinary tract infection",
    "Infection",
    "Epistaxis",
    "Vaginal dryness",
    "Osteoporosis",
)

#: The AE term a graded lab value is recorded under (CTCAE spells anaemia "Anemia").
AE_TERM_OF_LAB = {term: term.value for term in CtcaeTerm} | {CtcaeTerm.ANAEMIA: "Anemia"}


# --- querysets --------------------------------------------------------------------------------


class VisitRecordQuerySet(AuditedQuerySet):
    def visible_to(self, user):
        from trialsite.access import site_filter

        return self.filter(site_filter(user, prefix="visit__patient__site"))


class PatientListQuerySet(AuditedQuerySet):
    def visible_to(self, user):
        from trialsite.access import site_filter

        return self.filter(site_filter(user, prefix="patient__site"))


# --- one record per visit ---------------------------------------------------------------------


class VisitRecord(AuditedModel):
    """A form entered once per visit; corrections make new versions, never new records."""

    #: The form code the schedules use for this record (set by each subclass).
    FORM_CODE = ""
    #: Name of the field holding the visit date, when the form records it.
    VISIT_DATE_FIELD = ""

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="+")

    objects = VisitRecordQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self._meta.verbose_name.capitalize()} {self.visit}"


class PerformanceStatus(VisitRecord):
    FORM_CODE = "performance_status"
    VISIT_DATE_FIELD = "visit_date"

    class Score(models.IntegerChoices):
        FULLY_ACTIVE = 0, "0 — Fully active, no restriction"
        RESTRICTED = 1, "1 — Restricted in strenuous activity, ambulatory, light work"
        AMBULATORY = 2, "2 — Ambulatory, self-care, up more than 50% of waking hours"
        LIMITED = 3, "3 — Limited self-care, in bed or chair more than 50% of waking hours"
        DISABLED = 4, "4 — Completely disabled, no self-care, confined to bed or chair"

    visit_date = models.DateField("visit date")
    who_ps = models.PositiveSmallIntegerField("WHO performance status", choices=Score)

    class Meta:
        verbose_name = "WHO performance status"
        verbose_name_plural = "WHO performance statuses"
        constraints = [
            models.CheckConstraint(condition=Q(who_ps__lte=4), name="ps_who_0_to_4"),
        ]


class VitalSigns(VisitRecord):
    FORM_CODE = "vital_signs"

    weight_kg = WEIGHT.decimal_field("weight (kg)")
    height_cm = HEIGHT.decimal_field("height (cm)", null=True, blank=True)
    systolic_mmhg = SYSTOLIC.integer_field("systolic blood pressure (mmHg)")
    diastolic_mmhg = DIASTOLIC.integer_field("diastolic blood pressure (mmHg)")
    heart_rate_per_min = HEART_RATE.integer_field("heart rate (/min)")
    temperature_c = TEMPERATURE.decimal_field("temperature (°C)")

    class Meta:
        verbose_name = "vital signs"
        verbose_name_plural = "vital signs"
        constraints = [
            models.CheckConstraint(condition=Q(systolic_mmhg__gt=F("diastolic_mmhg")),
                                   name="vitals_systolic_above_diastolic"),
        ]

    def clean(self):
        if (self.systolic_mmhg is not None and self.diastolic_mmhg is not None
                and self.diastolic_mmhg >= self.systolic_mmhg):
            raise ValidationError({"diastolic_mmhg": (
                f"The diastolic pressure ({self.diastolic_mmhg}) must be below the systolic "
                f"({self.systolic_mmhg}): check that they are not swapped."
            )})


class LabRecord(VisitRecord):
    """A laboratory panel: a sample date, and per analyte the value with the site's range."""

    ANALYTES: tuple[Analyte, ...] = ()

    sample_date = models.DateField("sample date")

    class Meta:
        abstract = True

    def clean(self):
        errors = {}
        values = [getattr(self, a.name) for a in self.ANALYTES]
        if all(v is None for v in values):
            errors[NON_FIELD_ERRORS] = "Enter at least one laboratory value."
        for analyte in self.ANALYTES:
            value = getattr(self, analyte.name)
            lln = getattr(self, f"{analyte.name}_lln")
            uln = getattr(self, f"{analyte.name}_uln")
            if lln is not None and uln is not None and lln >= uln:
                errors[f"{analyte.name}_uln"] = "The ULN must be above the LLN."
            if value is None:
                if lln is not None or uln is not None:
                    errors[analyte.name] = "A reference range without a value: enter the value."
                continue
            needed = analyte.limit_needed
            if needed and getattr(self, f"{analyte.name}_{needed}") is None:
                errors[f"{analyte.name}_{needed}"] = (
                    f"The site's {needed.upper()} is needed to grade {analyte.label.lower()}."
                )
        if errors:
            raise ValidationError(errors)


class Haematology(LabRecord):
    FORM_CODE = "haematology"
    ANALYTES = HAEMATOLOGY_ANALYTES

    class HaemoglobinUnit(models.TextChoices):
        G_DL = "g/dL", "g/dL"
        G_L = "g/L", "g/L"

    neutrophils, neutrophils_lln, neutrophils_uln = _lab_fields(HAEMATOLOGY_ANALYTES[0])
    leucocytes, leucocytes_lln, leucocytes_uln = _lab_fields(HAEMATOLOGY_ANALYTES[1])
    platelets, platelets_lln, platelets_uln = _lab_fields(HAEMATOLOGY_ANALYTES[2])
    haemoglobin, haemoglobin_lln, haemoglobin_uln = _lab_fields(HAEMATOLOGY_ANALYTES[3])
    #: The unit the laboratory reported haemoglobin in (stored values are always g/dL).
    haemoglobin_unit = models.CharField("haemoglobin unit reported", max_length=8,
                                        choices=HaemoglobinUnit, default=HaemoglobinUnit.G_DL)
    lymphocytes, lymphocytes_lln, lymphocytes_uln = _lab_fields(HAEMATOLOGY_ANALYTES[4])

    class Meta:
        verbose_name = "haematology"
        verbose_name_plural = "haematology"
        constraints = _range_constraints("haem", HAEMATOLOGY_ANALYTES)


class Chemistry(LabRecord):
    FORM_CODE = "chemistry"
    ANALYTES = CHEMISTRY_ANALYTES

    bilirubin, bilirubin_lln, bilirubin_uln = _lab_fields(CHEMISTRY_ANALYTES[0])
    ast, ast_lln, ast_uln = _lab_fields(CHEMISTRY_ANALYTES[1])
    alt, alt_lln, alt_uln = _lab_fields(CHEMISTRY_ANALYTES[2])
    alp, alp_lln, alp_uln = _lab_fields(CHEMISTRY_ANALYTES[3])
    creatinine, creatinine_lln, creatinine_uln = _lab_fields(CHEMISTRY_ANALYTES[4])
    calcium, calcium_lln, calcium_uln = _lab_fields(CHEMISTRY_ANALYTES[5])

    class Meta:
        verbose_name = "blood chemistry"
        verbose_name_plural = "blood chemistry"
        constraints = _range_constraints("chem", CHEMISTRY_ANALYTES)


#: Days in a treatment cycle: every CDK4/6 inhibitor schedule here runs in 28-day cycles.
CYCLE_DAYS = 28


class Adherence(models.TextChoices):
    AS_PRESCRIBED = "as_prescribed", "Taken as prescribed"
    MISSED_DOSES = "missed_doses", "Missed doses"
    STOPPED = "stopped", "Stopped"


class DrugExposure(VisitRecord):
    FORM_CODE = "drug_exposure"

    #: The patient's CDK4/6 inhibitor (drug code of the protocol), copied from the enrolment.
    drug = models.CharField("CDK4/6 inhibitor", max_length=32)
    #: A dose level of the protocol (mg, as written there) or ``discontinued``.
    dose_level = models.CharField("dose level", max_length=16)
    cycle_start_date = models.DateField("cycle start date")
    days_taken = models.PositiveSmallIntegerField(
        "days taken in the cycle",
        validators=[MaxValueValidator(
            CYCLE_DAYS, message=f"A cycle has {CYCLE_DAYS} days: enter 0 to {CYCLE_DAYS}.")],
    )
    interrupted = models.BooleanField("interruption")
    interruption_reason = models.CharField("interruption reason", max_length=500, blank=True)
    reduced = models.BooleanField("dose reduction")
    reduction_reason = models.CharField("reduction reason", max_length=500, blank=True)
    endocrine_adherence = models.CharField("endocrine therapy adherence", max_length=16,
                                           choices=Adherence)
    ovarian_suppression_adherence = models.CharField(
        "ovarian suppression adherence", max_length=16, choices=Adherence, blank=True,
    )

    class Meta:
        verbose_name = "study drug exposure"
        verbose_name_plural = "study drug exposure"
        constraints = [
            models.CheckConstraint(condition=Q(days_taken__lte=CYCLE_DAYS),
                                   name="exposure_days_in_cycle"),
        ]

    def clean(self):
        errors = {}
        for flag, reason, what in (("interrupted", "interruption_reason", "an interruption"),
                                   ("reduced", "reduction_reason", "a reduction")):
            text = (getattr(self, reason) or "").strip()
            setattr(self, reason, text)
            if getattr(self, flag) and not text:
                errors[reason] = f"Give the reason for {what}."
            elif getattr(self, flag) is False and text:
                errors[reason] = "A reason is given but the answer is no: answer yes or clear it."
        if errors:
            raise ValidationError(errors)


class SurvivalStatus(VisitRecord):
    """Vital status at a follow-up contact; the date and cause of death when the patient died."""

    FORM_CODE = "survival_status"
    #: The contact date is the visit's date only when no other form of the visit records one
    #: (a survival-only follow-up); see ``crf_services``.
    CONTACT_DATE_FIELD = "last_contact_date"

    class VitalStatus(models.TextChoices):
        ALIVE = "alive", "Alive"
        DEAD = "dead", "Dead"
        UNKNOWN = "unknown", "Unknown (lost to follow-up)"

    class Cause(models.TextChoices):
        PROGRESSION = "progression", "Disease progression"
        ADVERSE_EVENT = "adverse_event", "Adverse event"
        OTHER = "other", "Other"

    last_contact_date = models.DateField("date of last contact")
    vital_status = models.CharField("vital status", max_length=8, choices=VitalStatus)
    death_date = models.DateField("date of death", null=True, blank=True)
    death_cause = models.CharField("cause of death", max_length=16, choices=Cause, blank=True)
    death_cause_other = models.CharField("other cause of death", max_length=500, blank=True)

    class Meta:
        verbose_name = "survival status"
        verbose_name_plural = "survival status"
        constraints = [
            models.CheckConstraint(
                condition=Q(vital_status="dead", death_date__isnull=False)
                & ~Q(death_cause="")
                | ~Q(vital_status="dead") & Q(death_date__isnull=True, death_cause=""),
                name="survival_death_date_and_cause_when_dead",
            ),
            models.CheckConstraint(
                condition=Q(death_cause="other") & ~Q(death_cause_other="")
                | ~Q(death_cause="other") & Q(death_cause_other=""),
                name="survival_other_cause_specified",
            ),
        ]

    def clean(self):
        errors = {}
        self.death_cause_other = (self.death_cause_other or "").strip()
        if self.vital_status == self.VitalStatus.DEAD:
            if self.death_date is None:
                errors["death_date"] = "The patient died: give the date of death."
            if not self.death_cause:
                errors["death_cause"] = "The patient died: give the cause of death."
        elif self.vital_status:
            if self.death_date is not None:
                errors["death_date"] = ("A date of death is given but the patient is not "
                                        "recorded dead: clear it or set the vital status.")
            if self.death_cause:
                errors["death_cause"] = ("A cause of death is given but the patient is not "
                                         "recorded dead: clear it or set the vital status.")
        if "death_cause" not in errors:
            if self.death_cause == self.Cause.OTHER and not self.death_cause_other:
                errors["death_cause_other"] = "Describe the other cause of death."
            elif self.death_cause != self.Cause.OTHER and self.death_cause_other:
                errors["death_cause_other"] = (
                    "Only for the cause “other”: clear it or choose “other”.")
        if errors:
            raise ValidationError(errors)


# --- lists per patient ------------------------------------------------------------------------


class Relation(models.TextChoices):
    NOT_RELATED = "not_related", "Not related"
    UNLIKELY = "unlikely", "Unlikely"
    POSSIBLE = "possible", "Possible"
    PROBABLE = "probable", "Probable"
    DEFINITE = "definite", "Definite"


class PatientListRecord(AuditedModel):
    """An entry of a patient's list, reported at one visit; corrected or voided, never deleted."""

    FORM_CODE = ""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="+",
                              verbose_name="reported at visit")

    objects = PatientListQuerySet.as_manager()

    class Meta:
        abstract = True


#: SAE criteria (ICH E2A), as field name and label.
SAE_CRITERIA = (
    ("sae_death", "Results in death"),
    ("sae_life_threatening", "Life-threatening"),
    ("sae_hospitalisation", "Requires or prolongs hospitalisation"),
    ("sae_disability", "Persistent or significant disability or incapacity"),
    ("sae_congenital_anomaly", "Congenital anomaly or birth defect"),
    ("sae_important_medical_event", "Important medical event"),
)


class AdverseEvent(PatientListRecord):
    FORM_CODE = "adverse_events"

    class Action(models.TextChoices):
        NONE = "none", "None"
        DOSE_REDUCED = "dose_reduced", "Dose reduced"
        INTERRUPTED = "interrupted", "Interrupted"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Outcome(models.TextChoices):
        RECOVERED = "recovered", "Recovered"
        RECOVERING = "recovering", "Recovering"
        NOT_RECOVERED = "not_recovered", "Not recovered"
        RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae", "Recovered with sequelae"
        FATAL = "fatal", "Fatal"

    #: Outcomes of an event that has ended, so it has an end date.
    ENDED = frozenset({Outcome.RECOVERED, Outcome.RECOVERED_WITH_SEQUELAE, Outcome.FATAL})

    term = models.CharField("CTCAE term", max_length=200)
    grade = models.PositiveSmallIntegerField(
        "CTCAE grade", choices=[(g, str(g)) for g in range(1, 6)],
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    start_date = models.DateField("start date")
    end_date = models.DateField("end date", null=True, blank=True)
    serious = models.BooleanField("serious")
    sae_death = models.BooleanField(SAE_CRITERIA[0][1], default=False)
    sae_life_threatening = models.BooleanField(SAE_CRITERIA[1][1], default=False)
    sae_hospitalisation = models.BooleanField(SAE_CRITERIA[2][1], default=False)
    sae_disability = models.BooleanField(SAE_CRITERIA[3][1], default=False)
    sae_congenital_anomaly = models.BooleanField(SAE_CRITERIA[4][1], default=False)
    sae_important_medical_event = models.BooleanField(SAE_CRITERIA[5][1], default=False)
    #: Relation to the patient's CDK4/6 inhibitor, endocrine therapy and (if given) ovarian
    #: suppression: the drugs of the enrolment.
    relation_cdk46i = models.CharField("relation to the CDK4/6 inhibitor", max_length=12,
                                       choices=Relation)
    relation_endocrine = models.CharField("relation to the endocrine therapy", max_length=12,
                                          choices=Relation)
    relation_ovarian_suppression = models.CharField(
        "relation to ovarian suppression", max_length=12, choices=Relation, blank=True,
    )
    action_taken = models.CharField("action taken with the study drug", max_length=16,
                                    choices=Action)
    outcome = models.CharField(max_length=24, choices=Outcome)

    class Meta:
        verbose_name = "adverse event"
        ordering = ["start_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=5),
                                   name="ae_grade_1_to_5"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="ae_end_after_start",
            ),
            models.CheckConstraint(condition=~Q(grade=5) | Q(outcome="fatal"),
                                   name="ae_grade_5_is_fatal"),
        ]
        indexes = [models.Index(fields=["patient", "start_date"], name="ae_patient_start")]

    def __str__(self):
        return f"{self.term} grade {self.grade} ({self.patient})"

    @property
    def criteria(self):
        return [label for name, label in SAE_CRITERIA if getattr(self, name)]

    @property
    def is_listed_term(self):
        return self.term in AE_TERMS

    def clean(self):
        errors = {}
        self.term = (self.term or "").strip()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "The end date is before the start date."
        if self.grade == 5 and self.outcome and self.outcome != self.Outcome.FATAL:
            errors["outcome"] = "A grade 5 event is fatal: set the outcome to fatal."
        elif self.outcome == self.Outcome.FATAL and self.grade and self.grade != 5:
            errors["grade"] = "A fatal outcome is grade 5."
        ticked = self.criteria
        if self.serious and not ticked:
            errors["serious"] = "A serious event needs at least one seriousness criterion."
        elif self.serious is False and ticked:
            errors["serious"] = "Seriousness criteria are ticked: answer yes, or untick them."
        elif self.outcome == self.Outcome.FATAL and not self.sae_death:
            errors["sae_death"] = "A fatal event is serious with the criterion “results in death”."
        if self.outcome and "end_date" not in errors:
            if self.outcome in self.ENDED and self.end_date is None:
                errors["end_date"] = "The outcome says the event ended: give its end date."
            elif self.outcome not in self.ENDED and self.end_date is not None:
                errors["end_date"] = (
                    f"An event that is {self.get_outcome_display().lower()} has not ended: "
                    "clear the end date or change the outcome."
                )
        if errors:
            raise ValidationError(errors)


class ConcomitantMedication(PatientListRecord):
    FORM_CODE = "concomitant_medications"

    name = models.CharField("medication", max_length=200)
    indication = models.CharField(max_length=200)
    start_date = models.DateField("start date")
    stop_date = models.DateField("stop date", null=True, blank=True)
    ongoing = models.BooleanField(default=False)

    class Meta:
        verbose_name = "concomitant medication"
        ordering = ["start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stop_date__isnull=True, ongoing=True)
                | Q(stop_date__isnull=False, ongoing=False),
                name="conmed_stop_date_or_ongoing",
            ),
            models.CheckConstraint(
                condition=Q(stop_date__isnull=True) | Q(stop_date__gte=F("start_date")),
                name="conmed_stop_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.patient})"

    def clean(self):
        errors = {}
        self.name = (self.name or "").strip()
        self.indication = (self.indication or "").strip()
        if self.stop_date is not None and self.ongoing:
            errors["stop_date"] = "Give a stop date or tick ongoing, not both."
        elif self.stop_date is None and not self.ongoing:
            errors["stop_date"] = "Give the stop date, or tick ongoing."
        elif self.stop_date and self.start_date and self.stop_date < self.start_date:
            errors["stop_date"] = "The stop date is before the start date."
        if errors:
            raise ValidationError(errors)


class ListReview(AuditedModel):
    """A coordinator's statement that a list had nothing new to report at a visit."""

    class Form(models.TextChoices):
        ADVERSE_EVENTS = AdverseEvent.FORM_CODE, "Adverse events"
        CONCOMITANT_MEDICATIONS = ConcomitantMedication.FORM_CODE, "Concomitant medications"

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="+")
    form_code = models.CharField("form", max_length=32, choices=Form)

    objects = VisitRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "list review"
        constraints = [
            models.UniqueConstraint(fields=["visit", "form_code"], name="list_review_once"),
        ]

    def __str__(self):
        return f"{self.visit}: no new {self.get_form_code_display().lower()}"


#: The form codes entered once per visit, and their models.
VISIT_RECORDS = {m.FORM_CODE: m for m in (PerformanceStatus, VitalSigns, Haematology, Chemistry,
                                           DrugExposure, SurvivalStatus)}
#: The form codes kept as lists per patient, and their models.
PATIENT_LISTS = {m.FORM_CODE: m for m in (AdverseEvent, ConcomitantMedication)}
