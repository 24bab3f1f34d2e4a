"""Reads for the visit page and the visit forms, each in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.text import capfirst

from eligibility.models import Screening
from enrollment.selectors import patient_get
from trialsite.audit import BOOKKEEPING_FIELDS, history_entries
from trialsite.protocols.base import DrugClass
from visits.crf.domain.ctcae import ReferenceRange, grade
from visits.crf.models import (
    AE_TERM_OF_LAB,
    DISCONTINUED,
    PATIENT_LISTS,
    VISIT_RECORDS,
    AdverseEvent,
    ListReview,
)
from visits.domain.schedule import window_deviation
from visits.models import Visit

#: What each form is called on the pages; codes not here are other modules' forms.
FORM_LABELS = {
    "performance_status": "WHO performance status",
    "vital_signs": "Vital signs",
    "haematology": "Haematology",
    "chemistry": "Blood chemistry",
    "drug_exposure": "Study drug exposure",
    "survival_status": "Survival status",
    "adverse_events": "Adverse events",
    "concomitant_medications": "Concomitant medications",
}
CRF_CODES = frozenset(VISIT_RECORDS) | frozenset(PATIENT_LISTS)
#: Forms entered by higher apps: form code -> URL name taking (subject_id, code). Those apps
#: fill it from their AppConfig.ready(), so the visit page links there without importing them.
EXTERNAL_FORM_URLS: dict[str, str] = {}


def humanise(code):
    return FORM_LABELS.get(code) or code.replace("_", " ").capitalize()


def site_today(site):
    """Today's date where the site is: what "not in the future" means for its data."""
    return timezone.now().astimezone(ZoneInfo(site.time_zone)).date()


# --- the visit and what the protocol gives the patient ----------------------------------------


def visit_get(*, user, subject_id, code):
    """The patient (if the user may see it) and one of its visits; 404 otherwise."""
    patient = patient_get(user=user, subject_id=subject_id)
    visit = Visit.objects.filter(patient=patient, code=code).first()
    if visit is None:
        raise Http404("No such visit")
    visit.patient = patient
    return patient, visit


def require_form(visit, form_code):
    """404 unless the visit expects ``form_code`` and this module enters it."""
    if form_code not in CRF_CODES or form_code not in visit.forms:
        raise Http404("This visit has no such form")
    return form_code


def baseline_code(protocol):
    """The code of the schedule's day-0 visit (BL), where height is measured."""
    for definition in protocol.schedule.visits:
        if definition.day == 0:
            return definition.code
    return None


@dataclass(frozen=True)
class Treatment:
    """The study drugs of an enrolment, as the forms name them."""

    cdk46i: object  # trialsite.protocols.base.Drug or None
    endocrine: object
    ovarian_suppression: object
    #: Dose levels of the CDK4/6 inhibitor, highest first, as stored ("125", ... "discontinued").
    dose_levels: tuple[str, ...]


def _level(value):
    return format(value.normalize(), "f")


def treatment_of(patient):
    """The patient's drugs from the enrolment and the protocol (no query: both are loaded)."""
    protocol = patient.site.study.protocol
    enrolment = getattr(patient, "enrolment", None)
    if enrolment is None:
        return Treatment(None, None, None, ())

    def drug(code):
        try:
            return protocol.drug(code)
        except KeyError:
            return None

    cdk46i = drug(enrolment.cdk46i)
    ofs = None
    if enrolment.ovarian_suppression:
        ofs = next(iter(protocol.drugs_of_class(DrugClass.OVARIAN_SUPPRESSION)), None)
    levels = tuple(_level(d) for d in (cdk46i.dose_levels_mg if cdk46i else ()))
    return Treatment(cdk46i, drug(enrolment.endocrine), ofs,
                     levels + ((DISCONTINUED,) if levels else ()))


def dose_rank(treatment, level):
    """Position of ``level`` among the dose levels (0 = starting dose); None if not one."""
    try:
        return treatment.dose_levels.index(level)
    except ValueError:
        return None


@dataclass(frozen=True)
class CrfContext:
    """What a visit form depends on besides its own values."""

    patient: object
    visit: object
    treatment: Treatment
    today: date
    is_baseline: bool


def crf_context(patient, visit):
    protocol = patient.site.study.protocol
    return CrfContext(
        patient=patient, visit=visit, treatment=treatment_of(patient),
        today=site_today(patient.site), is_baseline=visit.code == baseline_code(protocol),
    )


# --- records ----------------------------------------------------------------------------------


def visit_record(visit, form_code):
    """The visit's record of a one-per-visit form, or None (one query)."""
    record = VISIT_RECORDS[form_code].objects.filter(visit=visit).first()
    if record is not None:
        record.visit = visit
    return record


def previous_drug_exposure(visit):
    """The patient's drug exposure record at the visit before ``visit`` that has one."""
    model = VISIT_RECORDS["drug_exposure"]
    return (
        model.objects.active()
        .filter(visit__patient_id=visit.patient_id, visit__target_date__lt=visit.target_date)
        .select_related("visit")
        .order_by("-visit__target_date", "-cycle_start_date")
        .first()
    )


def list_items(patient, form_code):
    """Every entry of the patient's list (voided ones marked), with their visits (one query)."""
    items = list(
        PATIENT_LISTS[form_code].objects.filter(patient=patient).select_related("visit")
        .order_by(F("voided_at").asc(nulls_first=True), "start_date", "id")
    )
    for item in items:
        item.patient = patient
    return items


def list_item_get(patient, form_code, pk):
    item = (
        PATIENT_LISTS[form_code].objects.filter(patient=patient, pk=pk)
        .select_related("visit").first()
    )
    if item is None:
        raise Http404("No such entry")
    item.patient = patient
    return item


def list_review(visit, form_code):
    return ListReview.objects.filter(visit=visit, form_code=form_code).first()


def adverse_events_at(visit):
    """Adverse events reported at ``visit``, serious ones first (one query)."""
    return list(
        AdverseEvent.objects.active().filter(visit=visit).order_by("-serious", "start_date", "id")
    )


def record_history(record, patient):
    """The record's audit trail, newest first (one query, plus one per foreign key)."""
    if record is None:
        return []
    rows = record.history.select_related("history_user").all()
    return history_entries(rows, time_zone=patient.site.time_zone)


def _shown(model_field, value):
    if value is None or value == "":
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def record_facts(record, fields):
    """(label, shown value) of ``fields`` of a record, for read-only pages."""
    facts = []
    for name in fields:
        model_field = record._meta.get_field(name)
        if model_field.name in BOOKKEEPING_FIELDS:
            continue
        facts.append((capfirst(model_field.verbose_name),
                      _shown(model_field, getattr(record, name))))
    return facts


# --- laboratory grades ------------------------------------------------------------------------


@dataclass(frozen=True)
class LabRow:
    analyte: object
    value: object
    lln: object
    uln: object
    #: ``visits.crf.domain.ctcae.CtcaeGrade`` or None when not graded.
    grade: object
    #: The adverse event term to record for a grade 3 or more, else "".
    ae_term: str = ""

    @property
    def prompt(self):
        """What the page asks for a grade 3 or more: to record the adverse event."""
        if not self.ae_term:
            return ""
        return f"Grade {self.grade.grade} {self.grade.term.lower()}: record an adverse event"


def screening_baseline(patient, analytes):
    """Baseline values from the screening, for analytes graded against an abnormal baseline.

    Only values stored in the same unit as the lab form are used (one query).
    """
    protocol = patient.site.study.protocol
    wanted = {}
    for analyte in analytes:
        if not analyte.screening_variable:
            continue
        try:
            variable = protocol.variable(analyte.screening_variable)
        except KeyError:
            continue
        if variable.unit == analyte.measure.unit:
            wanted[analyte.name] = analyte.screening_variable
    if not wanted:
        return {}
    values = (
        Screening.objects.filter(patient=patient).values_list("values", flat=True).first() or {}
    )
    baseline = {}
    for name, variable in wanted.items():
        raw = values.get(variable)
        if raw not in (None, ""):
            baseline[name] = raw
    return baseline


def record_lab_rows(record, patient):
    """A lab record's rows graded against the patient's baseline; [] for other records."""
    if record is None or not getattr(record, "ANALYTES", ()):
        return []
    return lab_rows(record, screening_baseline(patient, record.ANALYTES))


def lab_rows(record, baseline=None):
    """Each analyte of a lab record with its CTCAE v5 grade (pure computation)."""
    if record is None or not getattr(record, "ANALYTES", ()):
        return []
    baseline = baseline or {}
    rows = []
    for analyte in record.ANALYTES:
        value = getattr(record, analyte.name)
        lln = getattr(record, f"{analyte.name}_lln")
        uln = getattr(record, f"{analyte.name}_uln")
        graded = None
        if value is not None and analyte.term is not None:
            try:
                graded = grade(analyte.term, value,
                               ReferenceRange(lln=lln, uln=uln, unit=analyte.measure.unit),
                               baseline.get(analyte.name))
            except ValueError:
                graded = None
        rows.append(LabRow(analyte, value, lln, uln, graded,
                           AE_TERM_OF_LAB[analyte.term] if graded and graded.grade >= 3 else ""))
    return rows


# --- the visit page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FormState:
    code: str
    label: str
    entered: bool
    required: bool
    #: Whether this module enters it (so the page links to it).
    linked: bool
    serious: bool = False
    #: URL name of another module's page for this form (``EXTERNAL_FORM_URLS``), or "".
    external: str = ""

    @property
    def missing_required(self):
        return self.required and not self.entered


def form_states(visit, adverse_events=()):
    """Each expected form of the visit with its state (no query)."""
    serious = any(ae.serious for ae in adverse_events)
    return [
        FormState(
            code=code, label=humanise(code), entered=code in visit.entered_forms,
            required=code in visit.required_forms, linked=code in CRF_CODES,
            serious=serious and code == AdverseEvent.FORM_CODE,
            external=EXTERNAL_FORM_URLS.get(code, ""),
        )
        for code in visit.forms
    ]


def deviation_of(visit):
    if visit.actual_date is None:
        return None
    return window_deviation(visit, visit.actual_date)


def visit_history(visit, patient):
    rows = visit.history.select_related("history_user").all()
    return history_entries(rows, time_zone=patient.site.time_zone)


# --- the coordinator's home -------------------------------------------------------------------

#: How far back the home page lists serious adverse events, and how many rows each list shows.
SAE_DAYS = 30
HOME_ROWS = 50


def home_missing_forms(*, user, sites):
    """Incomplete visits at ``sites``, oldest window first, with their missing forms (one query).

    ``Visit.missing_forms`` is computed from the visit's own columns, so no query per row.
    """
    return list(
        Visit.objects.visible_to(user)
        .filter(patient__site__in=sites, patient__voided_at__isnull=True,
                status=Visit.Status.INCOMPLETE)
        .select_related("patient")
        .order_by("window_end", "patient__subject_id", "code")[:HOME_ROWS]
    )


def home_serious_adverse_events(*, user, sites, now=None):
    """Serious adverse events at ``sites`` reported (entered) in the last ``SAE_DAYS`` days,
    newest first, with their patient and visit (one query)."""
    now = now or timezone.now()
    return list(
        AdverseEvent.objects.active().visible_to(user)
        .filter(patient__site__in=sites, patient__voided_at__isnull=True, serious=True,
                created_at__gte=now - timedelta(days=SAE_DAYS))
        .select_related("patient", "visit")
        .order_by("-created_at", "-id")[:HOME_ROWS]
    )
