"""What monitoring reads of visits and visit forms: the visit level, links to the forms, the
facts the protocol's edit checks evaluate, and visit compliance for the dashboard."""

from datetime import date

from django.db.models import Count, F, Q
from django.urls import reverse

from enrollment.domain.lifecycle import PatientStatus
from trialsite.monitoring.domain.editchecks import LabFact, RecordKey, VisitDateFact, WeightFact
from visits.crf.models import (
    PATIENT_LISTS,
    VISIT_RECORDS,
    Chemistry,
    DrugExposure,
    Haematology,
    VitalSigns,
)
from visits.models import Visit, VisitReminder

_RECORD_FORM = {model: code for code, model in VISIT_RECORDS.items()}
_LIST_FORM = {model: code for code, model in PATIENT_LISTS.items()}


def record_url(record):
    """Where a visit, a visit form or a list entry is read (and corrected by the site)."""
    if isinstance(record, Visit):
        return reverse("visit-detail", args=[record.patient.subject_id, record.code])
    model = type(record)
    if model in _RECORD_FORM:
        visit = record.visit
        return reverse("visit-form", args=[visit.patient.subject_id, visit.code,
                                           _RECORD_FORM[model]])
    if model in _LIST_FORM:
        return reverse("visit-form-item", args=[record.patient.subject_id, record.visit.code,
                                                _LIST_FORM[model], record.pk])
    return None


def _visit_filter(patient_pks, prefix):
    q = Q(**{f"{prefix}voided_at__isnull": True})
    if patient_pks is not None:
        q &= Q(**{f"{prefix}patient_id__in": list(patient_pks)})
    return q


def edit_check_facts(patient_pks):
    """Weights, visit dates and laboratory values as plain facts (one query per form)."""
    facts = []
    study = "visit__patient__site__study__code"
    vitals = (VitalSigns.objects.active().filter(_visit_filter(patient_pks, "visit__"))
              .values_list("pk", "weight_kg", "visit__code", "visit__actual_date",
                           "visit__target_date", "visit__patient_id", study))
    label = VitalSigns._meta.label
    for pk, weight, code, actual, target, patient_pk, study_code in vitals:
        if weight is not None:
            facts.append(WeightFact(study_code, patient_pk, RecordKey(label, pk), code,
                                    actual or target, weight))
    visits = (Visit.objects.filter(_visit_filter(patient_pks, ""), actual_date__isnull=False)
              .values_list("pk", "code", "actual_date", "window_start", "window_end",
                           "patient_id", "patient__site__study__code"))
    for pk, code, actual, start, end, patient_pk, study_code in visits:
        facts.append(VisitDateFact(study_code, patient_pk, RecordKey(Visit._meta.label, pk),
                                   "actual_date", code, actual, start, end))
    for model in (Haematology, Chemistry):
        names = []
        for analyte in model.ANALYTES:
            names += [analyte.name, f"{analyte.name}_lln", f"{analyte.name}_uln"]
        rows = (model.objects.active().filter(_visit_filter(patient_pks, "visit__"))
                .values("pk", "visit__patient_id", study, *names))
        for row in rows:
            for analyte in model.ANALYTES:
                value = row[analyte.name]
                if value is None:
                    continue
                facts.append(LabFact(
                    row[study], row["visit__patient_id"], RecordKey(model._meta.label, row["pk"]),
                    model.FORM_CODE, analyte.name, analyte.label, analyte.measure.unit, value,
                    row[f"{analyte.name}_lln"], row[f"{analyte.name}_uln"],
                ))
    return facts


def dashboard_counts(study, sites, today=None):
    """Visit compliance (set-based counts) and patients who started treatment."""
    today = today or date.today()
    visits = Visit.objects.active().filter(patient__site__in=sites,
                                           patient__voided_at__isnull=True)
    done = Q(actual_date__isnull=False)
    counts = visits.aggregate(
        on_time=Count("pk", filter=done & Q(actual_date__gte=F("window_start"),
                                            actual_date__lte=F("window_end"))),
        late=Count("pk", filter=done & Q(actual_date__gt=F("window_end"))),
        early=Count("pk", filter=done & Q(actual_date__lt=F("window_start"))),
        missed=Count("pk", filter=Q(status=Visit.Status.MISSED)),
        overdue=Count("pk", filter=Q(status=Visit.Status.PLANNED, retrospective=False,
                                     window_end__lt=today)),
    )
    treated = set(DrugExposure.objects.active().filter(visit__patient__site__in=sites)
                  .values_list("visit__patient_id", flat=True))
    from enrollment.models import Patient

    treated |= set(Patient.objects.active().filter(
        site__in=sites, status__in=(PatientStatus.ON_TREATMENT, PatientStatus.OFF_TREATMENT))
        .values_list("pk", flat=True))
    return {"visit_compliance": counts, "on_treatment": len(treated)}


def register():
    from trialsite.monitoring import registry

    registry.register_level("visit", Visit)
    registry.exclude(VisitReminder)
    registry.register_record_url(record_url)
    registry.register_edit_check_source(edit_check_facts)
    registry.register_dashboard_source(dashboard_counts)
