"""Tumour datasets (RECIST 1.1): lesions, their readings, the responses, and the endpoints.

Lesions and readings are one dataset each for target and non-target lesions together
(``lesion_type`` T or N). ``endpoints`` is derived: it is computed by ``outcomes.reports`` with
the pure RECIST functions, exactly as the outcomes page shows it, and is always exported whole.
"""

from django.db.models import CharField, DecimalField, Value

from outcomes.models import (
    Method,
    NewLesionsChoice,
    NonTargetLesion,
    NonTargetStatus,
    NonTargetStatusChoice,
    ResponseChoice,
    TargetLesion,
    TargetMeasurement,
    TumourAssessment,
)
from outcomes.reports import endpoint_row, study_endpoints
from trialsite.exports.registry import (
    Dataset,
    Source,
    Var,
    bookkeeping,
    codes_of,
    register,
    subject_keys,
)

_MM = DecimalField(max_digits=5, decimal_places=1)
_LIST_SITE = {"site_path": "patient__site", "study_path": "patient__site__study"}
_ASSESSMENT_SITE = {"site_path": "assessment__patient__site",
                    "study_path": "assessment__patient__site__study",
                    "patient_path": "assessment__patient",
                    "subject_path": "assessment__patient__subject_id"}
_LESION_TYPES = (("T", "target"), ("N", "non-target"))


def _lesion_variables(lesion_type, diameter):
    return (
        *subject_keys(),
        Var("lesion_id", "Lesion"),
        Var("lesion_type", "Target (T) or non-target (N)", source=Value(lesion_type),
            codes=_LESION_TYPES),
        Var("organ", "Organ"),
        Var("nodal", "Lymph node", "boolean"),
        Var("method", "Imaging method", codes=codes_of(Method)),
        Var("baseline_date", "Baseline date", "date"),
        Var("baseline_diameter_mm", "Baseline diameter (short axis if nodal)", "decimal",
            diameter, unit="mm"),
        *bookkeeping(),
    )


_TARGETS = _lesion_variables("T", "diameter_mm")
_NONTARGETS = _lesion_variables("N", Value(None, output_field=_MM))
register(Dataset(
    name="tumour_lesions", label="Tumour lesions (baseline)",
    description="Target and non-target lesions chosen at baseline (RECIST 1.1).",
    variables=_TARGETS,
    sources=(Source(lambda: TargetLesion.objects.all(), _TARGETS, **_LIST_SITE),
             Source(lambda: NonTargetLesion.objects.all(), _NONTARGETS, **_LIST_SITE)),
    order_by=("site", "subject_id", "lesion_type", "record_id"),
    odm_form="tumour_lesions", odm_repeating=True,
))


def _reading_variables(lesion_type, state, diameter, status):
    return (
        *subject_keys("assessment__patient__"),
        Var("assessment_date", "Assessment date", "date", "assessment__assessment_date"),
        Var("visit_code", "Visit code (empty: unscheduled)", source="assessment__visit__code"),
        Var("lesion_id", "Lesion", source="lesion__lesion_id"),
        Var("lesion_type", "Target (T) or non-target (N)", source=Value(lesion_type),
            codes=_LESION_TYPES),
        Var("state", "Target reading", source=state,
            codes=codes_of(TargetMeasurement.State)),
        Var("diameter_mm", "Diameter (measured targets)", "decimal", diameter, unit="mm"),
        Var("status", "Non-target status", source=status, codes=codes_of(NonTargetStatusChoice)),
        *bookkeeping(),
    )


_NULL_TEXT = Value(None, output_field=CharField())
_TARGET_READINGS = _reading_variables("T", "state", "diameter_mm", _NULL_TEXT)
_NONTARGET_READINGS = _reading_variables("N", _NULL_TEXT, Value(None, output_field=_MM),
                                         "status")
register(Dataset(
    name="tumour_measurements", label="Tumour measurements",
    description="Each lesion's reading at each follow-up assessment: target diameters "
                "(or too small to measure, not evaluated) and non-target statuses.",
    variables=_TARGET_READINGS,
    sources=(Source(lambda: TargetMeasurement.objects.all(), _TARGET_READINGS,
                    **_ASSESSMENT_SITE),
             Source(lambda: NonTargetStatus.objects.all(), _NONTARGET_READINGS,
                    **_ASSESSMENT_SITE)),
    order_by=("site", "subject_id", "assessment_date", "lesion_type", "record_id"),
    odm_form="tumour_measurements", odm_repeating=True,
))

_RESPONSE_VARIABLES = (
    *subject_keys(),
    Var("assessment_date", "Assessment date", "date"),
    Var("visit_code", "Visit code (empty: unscheduled)", source="visit__code"),
    Var("new_lesions", "New lesions", codes=codes_of(NewLesionsChoice)),
    Var("new_lesion_site", "Site of new lesions"),
    Var("computed_response", "Overall response computed by RECIST 1.1",
        codes=codes_of(ResponseChoice)),
    Var("investigator_response", "Investigator's overall response",
        codes=codes_of(ResponseChoice)),
    Var("reported_response", "Overall response reported (no lesion readings)",
        codes=codes_of(ResponseChoice)),
    Var("disagreement", "Investigator disagreed with the computed response", "boolean"),
    *bookkeeping(),
)
register(Dataset(
    name="responses", label="Tumour responses",
    description="One row per tumour assessment: the overall response computed by RECIST 1.1 "
                "and the investigator's.",
    variables=_RESPONSE_VARIABLES,
    sources=(Source(lambda: TumourAssessment.objects.all(), _RESPONSE_VARIABLES, **_LIST_SITE),),
    order_by=("site", "subject_id", "assessment_date", "record_id"),
    odm_form="responses", odm_repeating=True,
))


_ENDPOINT_VARIABLES = (
    *subject_keys(),
    Var("bor", "Best overall response", codes=codes_of(ResponseChoice)),
    Var("objective_response", "Objective response (confirmed CR or PR)", "boolean"),
    Var("clinical_benefit", "Clinical benefit (CR, PR or SD ≥ 24 weeks)", "boolean"),
    Var("objective_clinical_benefit",
        "Objective clinical benefit (CR, PR or minor response ≥ 24 weeks)", "boolean"),
    Var("early_progression", "Early progression (PD or death within 6 months)", "boolean"),
    Var("pfs_days", "Progression-free survival", "integer", unit="days"),
    Var("pfs_event", "PFS event (1) or censored (0)", "boolean"),
    Var("pfs_reason", "Why PFS ends there",
        codes=(("progression", "progression"), ("death", "death"),
               ("last_adequate_assessment", "censored at the last adequate assessment"),
               ("no_adequate_assessment", "censored: no adequate assessment"))),
    Var("measurable", "Measurable disease at baseline (response-evaluable)", "boolean"),
    Var("error", "Why the endpoints could not be computed"),
)


def _flag(value):
    return None if value is None else int(value)


def endpoint_rows(user, filters):
    """Recomputed for the data cut; one row per visible enrolled patient."""
    for report in study_endpoints(user):
        patient = report.patient
        if not filters.admits(patient):
            continue
        row = endpoint_row(report)
        e = report.endpoints
        yield (patient.site.study.code, row["site"], row["subject_id"], row["bor"],
               _flag(row["objective_response"]), _flag(row["clinical_benefit"]),
               _flag(row["objective_clinical_benefit"]), _flag(row["early_progression"]),
               row["pfs_days"], _flag(row["pfs_event"]),
               e.pfs.reason.value if e else None, int(report.measurable), report.error)


register(Dataset(
    name="endpoints", label="Efficacy endpoints",
    description="Per-patient endpoints derived from the tumour assessments (RECIST 1.1), as "
                "on the outcomes page. Derived: always exported whole (no updated_since).",
    variables=_ENDPOINT_VARIABLES, rows=endpoint_rows, incremental=False,
    # Not in the ODM file: ODM carries the data collected, and these are derived from them.
))

# The real-world datasets (lines of therapy, comorbidities, collected items, survival).
from outcomes.realworld import exports as realworld_exports  # noqa: E402, F401
