"""Visit datasets: the visits themselves, one dataset per visit form, and the patient lists.

Form datasets carry ``visit_code`` so a row joins its visit; laboratory values are one row per
analyte (long format: one dataset for both panels, each value with its unit and the site's
reference range).
"""

from django.db.models import Value

from trialsite.exports.registry import (
    Dataset,
    Source,
    Var,
    bookkeeping,
    codes_of,
    register,
    subject_keys,
)
from visits.crf.models import (
    CHEMISTRY_ANALYTES,
    HAEMATOLOGY_ANALYTES,
    Adherence,
    AdverseEvent,
    Chemistry,
    ConcomitantMedication,
    DrugExposure,
    Haematology,
    PerformanceStatus,
    Relation,
    SurvivalStatus,
    VitalSigns,
)
from visits.models import Visit

VISIT_PATIENT = "visit__patient__"
_SITE = {"site_path": "visit__patient__site", "study_path": "visit__patient__site__study",
         "patient_path": "visit__patient", "subject_path": "visit__patient__subject_id"}
_LIST_SITE = {"site_path": "patient__site", "study_path": "patient__site__study"}


def _visit_keys():
    return (*subject_keys(VISIT_PATIENT),
            Var("visit_code", "Visit code", source="visit__code"))


def _form_dataset(name, label, description, model, fields, *, odm_form=None):
    variables = (*_visit_keys(), *fields, *bookkeeping())
    return register(Dataset(
        name=name, label=label, description=description, variables=variables,
        sources=(Source(lambda: model.objects.all(), variables, **_SITE),),
        order_by=("site", "subject_id", "record_id"), odm_form=odm_form or name,
    ))


VISIT_VARIABLES = (
    *subject_keys(),
    Var("visit_code", "Visit code", source="code"),
    Var("visit_label", "Visit", source="label"),
    Var("kind", "Kind of visit", codes=codes_of(Visit.Kind)),
    Var("target_date", "Target date", "date"),
    Var("window_start", "Window opens", "date"),
    Var("window_end", "Window closes", "date"),
    Var("retrospective", "Entered retrospectively (window closed before enrolment)", "boolean"),
    Var("status", "Visit status", codes=codes_of(Visit.Status)),
    Var("visit_date", "Visit date", "date", "actual_date"),
    Var("overdue_since", "Flagged overdue since", "date"),
    Var("status_reason", "Reason (missed or cancelled)"),
    *bookkeeping(),
)

register(Dataset(
    name="visits", label="Visits",
    description="Every planned, completed, missed or cancelled visit of every patient.",
    variables=VISIT_VARIABLES,
    sources=(Source(lambda: Visit.objects.all(), VISIT_VARIABLES, **_LIST_SITE),),
    order_by=("site", "subject_id", "target_date", "visit_code"),
))

_form_dataset("vital_signs", "Vital signs", "Vital signs entered at a visit.", VitalSigns, (
    Var("weight_kg", "Weight", "decimal", unit="kg"),
    Var("height_cm", "Height", "decimal", unit="cm"),
    Var("systolic_mmhg", "Systolic blood pressure", "integer", unit="mmHg"),
    Var("diastolic_mmhg", "Diastolic blood pressure", "integer", unit="mmHg"),
    Var("heart_rate_per_min", "Heart rate", "integer", unit="/min"),
    Var("temperature_c", "Temperature", "decimal", unit="°C"),
))

_form_dataset("performance_status", "WHO performance status",
              "WHO performance status entered at a visit.", PerformanceStatus, (
    Var("visit_date", "Visit date", "date"),
    Var("who_ps", "WHO performance status", "integer",
        codes=codes_of(PerformanceStatus.Score)),
))

_form_dataset("drug_exposure", "Study drug exposure",
              "CDK4/6 inhibitor exposure per cycle and endocrine therapy adherence.",
              DrugExposure, (
    Var("drug", "CDK4/6 inhibitor"),
    Var("dose_level", "Dose level"),
    Var("cycle_start_date", "Cycle start date", "date"),
    Var("days_taken", "Days taken in the cycle", "integer", unit="days"),
    Var("interrupted", "Interruption", "boolean"),
    Var("interruption_reason", "Interruption reason"),
    Var("reduced", "Dose reduction", "boolean"),
    Var("reduction_reason", "Reduction reason"),
    Var("endocrine_adherence", "Endocrine therapy adherence", codes=codes_of(Adherence)),
    Var("ovarian_suppression_adherence", "Ovarian suppression adherence",
        codes=codes_of(Adherence)),
))

_form_dataset("survival_status", "Survival status",
              "Vital status at follow-up contacts.", SurvivalStatus, (
    Var("last_contact_date", "Date of last contact", "date"),
    Var("vital_status", "Vital status", codes=codes_of(SurvivalStatus.VitalStatus)),
    Var("death_date", "Date of death", "date"),
    Var("death_cause", "Cause of death", codes=codes_of(SurvivalStatus.Cause)),
    Var("death_cause_other", "Other cause of death"),
))


LAB_VARIABLES_SPEC = (
    ("panel", "Panel", "text"),
    ("sample_date", "Sample date", "date"),
    ("analyte", "Analyte", "text"),
    ("value", "Value (in unit)", "decimal"),
    ("unit", "Unit", "text"),
    ("lln", "Lower limit of normal (site range)", "decimal"),
    ("uln", "Upper limit of normal (site range)", "decimal"),
)
_ANALYTE_CODES = tuple((a.name, a.label) for a in (*HAEMATOLOGY_ANALYTES, *CHEMISTRY_ANALYTES))


def _lab_source(model, analyte):
    fields = {
        "panel": Value(model.FORM_CODE), "sample_date": "sample_date",
        "analyte": Value(analyte.name), "value": analyte.name,
        "unit": Value(analyte.measure.unit), "lln": f"{analyte.name}_lln",
        "uln": f"{analyte.name}_uln",
    }
    variables = (
        *_visit_keys(),
        *(Var(name, label, kind, fields[name],
              codes=_ANALYTE_CODES if name == "analyte" else
              (("haematology", "Haematology"), ("chemistry", "Blood chemistry"))
              if name == "panel" else ())
          for name, label, kind in LAB_VARIABLES_SPEC),
        *bookkeeping(),
    )
    return Source(lambda: model.objects.filter(**{f"{analyte.name}__isnull": False}),
                  variables, **_SITE)


_LAB_SOURCES = tuple(_lab_source(model, analyte)
                     for model in (Haematology, Chemistry) for analyte in model.ANALYTES)

register(Dataset(
    name="labs", label="Laboratory values",
    description="One row per analyte value of the haematology and blood chemistry panels, "
                "with its unit and the site's reference range. record_id is the panel's.",
    variables=_LAB_SOURCES[0].variables, sources=_LAB_SOURCES,
    order_by=("site", "subject_id", "panel", "record_id", "analyte"),
    odm_form="labs", odm_repeating=True,
))


def _list_dataset(name, label, description, model, fields):
    variables = (*subject_keys(), Var("visit_code", "Reported at visit", source="visit__code"),
                 *fields, *bookkeeping())
    return register(Dataset(
        name=name, label=label, description=description, variables=variables,
        sources=(Source(lambda: model.objects.all(), variables, **_LIST_SITE),),
        order_by=("site", "subject_id", "record_id"), odm_form=name, odm_repeating=True,
    ))


_list_dataset("adverse_events", "Adverse events",
              "Adverse events (CTCAE v5), each reported at a visit.", AdverseEvent, (
    Var("term", "CTCAE term"),
    Var("grade", "CTCAE grade", "integer", codes=tuple((str(g), str(g)) for g in range(1, 6))),
    Var("start_date", "Start date", "date"),
    Var("end_date", "End date", "date"),
    Var("serious", "Serious", "boolean"),
    *(Var(field.name, field.verbose_name, "boolean") for field in AdverseEvent._meta.fields
      if field.name.startswith("sae_")),
    Var("relation_cdk46i", "Relation to the CDK4/6 inhibitor", codes=codes_of(Relation)),
    Var("relation_endocrine", "Relation to the endocrine therapy", codes=codes_of(Relation)),
    Var("relation_ovarian_suppression", "Relation to ovarian suppression",
        codes=codes_of(Relation)),
    Var("action_taken", "Action taken with the study drug", codes=codes_of(AdverseEvent.Action)),
    Var("outcome", "Outcome", codes=codes_of(AdverseEvent.Outcome)),
))

_list_dataset("concomitant_medications", "Concomitant medications",
              "Concomitant medications, each reported at a visit.", ConcomitantMedication, (
    Var("medication", "Medication", source="name"),
    Var("indication", "Indication"),
    Var("start_date", "Start date", "date"),
    Var("stop_date", "Stop date", "date"),
    Var("ongoing", "Ongoing", "boolean"),
))
