"""Reads of tumour assessments and their RECIST 1.1 working, each in a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import DecimalField, F, Prefetch, Value
from django.http import Http404

from outcomes.domain import corelab, recist
from outcomes.models import (
    FORM_CODE,
    NonTargetLesion,
    NonTargetStatus,
    TargetLesion,
    TargetMeasurement,
    TumourAssessment,
)
from trialsite.audit import history_entries
from trialsite.protocols import get_protocol
from visits.models import Visit


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
              "error": None, "progression_review": None,
              "baseline_sum_mm": baseline.sum_mm if baseline else None}
    if baseline is None:
        return result
    try:
        points = recist.assess(baseline, [followup_input(a) for a in assessments])
    except recist.RecistError as error:
        result["error"] = error.message
        return result
    day1 = reference_date(patient, baseline)
    options = patient.site.study.protocol.response.bor_options()
    rows = []
    for index, (assessment, point) in enumerate(zip(assessments, points, strict=True)):
        best = recist.best_overall_response(points[: index + 1], day1,
                                            target_disease=bool(baseline.targets), **options)
        rows.append(Row(assessment=assessment, point=point, best_overall_response=str(best)))
    result["rows"] = rows
    result["best"] = rows[-1].best_overall_response if rows else None
    result["plan"] = patient.site.study.protocol.response
    result["progression_review"] = progression_review(
        getattr(patient, "enrolment", None), assessments, points)
    return result


def progression_review(enrolment, assessments, points):
    """A sentence for the investigator when the radiological progression on record no longer
    matches the assessments (one was corrected or voided after it was recorded), else None.

    The recorded progression is never changed here: it ended the treatment schedule, and
    only the investigator may judge whether it stands.
    """
    if (enrolment is None or enrolment.progression_date is None
            or enrolment.progression_basis != "radiological"):
        return None
    found = recist.first_progression_date(points)
    if found is None:
        found = next((a.assessment_date for a in assessments
                      if a.investigator_response == recist.Response.PD), None)
    if found is not None:
        found = max(found, enrolment.day1)
    recorded = enrolment.progression_date
    if found == recorded:
        return None
    if found is None:
        return (f"Progression is recorded on {recorded:%Y-%m-%d} from the tumour assessments, "
                "but the assessments as they now stand show no progression. The "
                "investigator must review it; the schedule was not changed.")
    return (f"Progression is recorded on {recorded:%Y-%m-%d}, but the tumour assessments as "
            f"they now stand show first progression on {found:%Y-%m-%d}. The investigator "
            "must review it; the schedule was not changed.")


def assessment_at(visit):
    """The visit's tumour assessment, or None (one query)."""
    return TumourAssessment.objects.active().filter(visit=visit).first()


def visit_for_assessment(patient, date):
    """The patient's scheduled visit a tumour assessment dated ``date`` belongs to: one that
    expects the tumour assessment, has none yet, is not missed or cancelled, and whose window
    holds the date (the one whose target date is nearest), else None (two queries)."""
    taken = set(TumourAssessment.objects.active().filter(patient=patient, visit__isnull=False)
                .values_list("visit_id", flat=True))
    candidates = [
        v for v in Visit.objects.filter(patient=patient, window_start__lte=date,
                                        window_end__gte=date)
        .exclude(status__in=[Visit.Status.MISSED, Visit.Status.CANCELLED])
        if FORM_CODE in v.forms and v.pk not in taken
    ]
    return min(candidates, key=lambda v: (abs((v.target_date - date).days), v.target_date),
               default=None)


def require_form(visit):
    if FORM_CODE not in visit.forms:
        raise Http404("This visit has no tumour assessment")


def assessment_history(assessment, patient):
    if assessment is None:
        return []
    rows = assessment.history.select_related("history_user").all()
    return history_entries(rows, time_zone=patient.site.time_zone)


def corelab_evaluate(document):
    """The dry run of a core-lab document. With ``"study": "<code>"`` the best overall response
    follows that study's response rules (confirmation, minimum SD duration); without it, the
    RECIST 1.1 rules for a non-randomised trial (CR/PR confirmed, SD from day 42)."""
    options = {}
    code = document.get("study") if isinstance(document, dict) else None
    if code is not None:
        try:
            options = get_protocol(code).response.bor_options()
        except (KeyError, TypeError):
            raise corelab.CoreLabError(recist.ErrorCode.INVALID_VALUE,
                                       f"document.study: unknown study {code!r}") from None
    return corelab.evaluate(document, **options)
