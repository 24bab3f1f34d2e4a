"""Reads of tumour assessments and their RECIST 1.1 working, each in a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import DecimalField, F, Prefetch, Value
from django.http import Http404

from outcomes.domain import recist
from outcomes.models import (
    FORM_CODE,
    NonTargetLesion,
    NonTargetStatus,
    TargetLesion,
    TargetMeasurement,
    TumourAssessment,
)
from trialsite.audit import history_entries


def has_baseline(patient):
    return (TargetLesion.objects.active().filter(patient=patient).exists()
            or NonTargetLesion.objects.active().filter(patient=patient).exists())


_LESION_FIELDS = ("id", "lesion_id", "organ", "nodal", "method", "baseline_date", "version")


def baseline_lesions(patient):
    """The patient's baseline target and non-target lesions (one query: the casebook pays it
    for every patient, most of whom have no baseline yet)."""
    targets = (TargetLesion.objects.active().filter(patient=patient)
               .annotate(kind=Value("T"), mm=F("diameter_mm"))
               .order_by().values_list(*_LESION_FIELDS, "kind", "mm"))
    nontargets = (NonTargetLesion.objects.active().filter(patient=patient)
                  .annotate(kind=Value("N"),
                            mm=Value(None, output_field=DecimalField(max_digits=5,
                                                                     decimal_places=1)))
                  .order_by().values_list(*_LESION_FIELDS, "kind", "mm"))
    lesions = {"targets": [], "nontargets": []}
    rows = targets.union(nontargets, all=True).order_by()
    for *values, kind, mm in sorted(rows, key=lambda r: r[0]):
        fields = dict(zip(_LESION_FIELDS, values, strict=True))
        if kind == "T":
            lesion = TargetLesion(patient=patient, diameter_mm=mm, **fields)
            lesions["targets"].append(lesion)
        else:
            lesion = NonTargetLesion(patient=patient, **fields)
            lesions["nontargets"].append(lesion)
        lesion._state.adding = False
    return lesions


def baseline_domain(patient, lesions=None):
    """``(recist.Baseline or None, lesions)`` for the patient."""
    lesions = lesions if lesions is not None else baseline_lesions(patient)
    if not lesions["targets"] and not lesions["nontargets"]:
        return None, lesions
    dates = [lesion.baseline_date for lesion in (*lesions["targets"], *lesions["nontargets"])]
    baseline = recist.Baseline(
        date=min(dates),
        targets=[recist.TargetLesion(id=t.lesion_id, organ=t.organ, diameter_mm=t.diameter_mm,
                                     nodal=t.nodal) for t in lesions["targets"]],
        nontargets=[recist.NonTargetLesion(id=n.lesion_id, organ=n.organ or None)
                    for n in lesions["nontargets"]],
    )
    return baseline, lesions


def assessments_of(patient):
    """The patient's follow-up assessments in date order, with readings (three queries)."""
    return list(
        TumourAssessment.objects.active().filter(patient=patient).select_related("visit")
        .prefetch_related(
            Prefetch("measurements", TargetMeasurement.objects.select_related("lesion")
                     .order_by("lesion_id")),
            Prefetch("statuses", NonTargetStatus.objects.select_related("lesion")
                     .order_by("lesion_id")),
        )
        .order_by("assessment_date")
    )


def followup_input(assessment):
    """The pure-domain follow-up of one stored assessment (readings or a reported response)."""
    if assessment.reported_response:
        # An overall response assessed elsewhere: used as given, no readings.
        return recist.FollowUp(date=assessment.assessment_date,
                               overall=assessment.reported_response)
    return recist.FollowUp(
        date=assessment.assessment_date,
        targets={m.lesion.lesion_id: m.value for m in assessment.measurements.all()},
        nontargets={s.lesion.lesion_id: s.status for s in assessment.statuses.all()},
        new_lesions=assessment.new_lesions,
    )


def followups_domain(patient, assessments=None):
    assessments = assessments if assessments is not None else assessments_of(patient)
    return [followup_input(a) for a in assessments]


def _pct(value):
    if value is None:
        return None
    return f"{float(value):+.1f} %"


def _mm(value):
    return value


@dataclass(frozen=True)
class Row:
    """One time point as the pages show it, with its working."""

    assessment: object
    point: object
    best_overall_response: str

    @property
    def change_from_baseline_mm(self):
        p = self.point
        if p.sum_mm is None or p.baseline_sum_mm is None:
            return None
        return _mm(p.sum_mm - p.baseline_sum_mm)

    @property
    def change_from_nadir_mm(self):
        p = self.point
        if p.sum_mm is None or p.nadir_mm is None:
            return None
        return _mm(p.sum_mm - p.nadir_mm)

    @property
    def change_from_baseline_pct(self):
        return _pct(self.point.pct_change_from_baseline)

    @property
    def change_from_nadir_pct(self):
        return _pct(self.point.pct_change_from_nadir)


def reference_date(patient, baseline):
    """D1 for the best overall response: the enrolment's day 1, else the baseline date."""
    enrolment = getattr(patient, "enrolment", None)
    return enrolment.day1 if enrolment is not None else baseline.date


def working(patient, lesions=None, assessments=None):
    """The RECIST 1.1 working of every time point of the patient (five queries at most).

    Returns a dict with ``baseline`` (``recist.Baseline`` or None), ``lesions``, ``rows`` (one
    ``Row`` per assessment) and ``best`` (the best overall response so far), or an ``error``
    if the stored readings cannot be assessed.
    """
    baseline, lesions = baseline_domain(patient, lesions)
    assessments = assessments if assessments is not None else (
        assessments_of(patient) if baseline is not None else [])
    result = {"baseline": baseline, "lesions": lesions, "rows": [], "best": None,
              "error": None, "baseline_sum_mm": baseline.sum_mm if baseline else None}
    if baseline is None:
        return result
    try:
        points = recist.assess(baseline, [followup_input(a) for a in assessments])
    except recist.RecistError as error:
        result["error"] = error.message
        return result
    day1 = reference_date(patient, baseline)
    rows = []
    for index, (assessment, point) in enumerate(zip(assessments, points, strict=True)):
        best = recist.best_overall_response(points[: index + 1], day1)
        rows.append(Row(assessment=assessment, point=point, best_overall_response=str(best)))
    result["rows"] = rows
    result["best"] = rows[-1].best_overall_response if rows else None
    return result


def assessment_at(visit):
    """The visit's tumour assessment, or None (one query)."""
    return TumourAssessment.objects.active().filter(visit=visit).first()


def require_form(visit):
    if FORM_CODE not in visit.forms:
        raise Http404("This visit has no tumour assessment")


def assessment_history(assessment, patient):
    if assessment is None:
        return []
    rows = assessment.history.select_related("history_user").all()
    return history_entries(rows, time_zone=patient.site.time_zone)


