"""The subjects dataset: one row per patient, pseudonymous; age instead of birth date."""

from django.db.models import Case, IntegerField, Value, When
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear
from django.db.models.lookups import LessThan

from enrollment.models import Enrolment, Patient
from trialsite.exports.audit_trail import register_history
from trialsite.exports.registry import (
    Dataset,
    Source,
    Var,
    bookkeeping,
    codes_of,
    register,
    subject_keys,
)


def _age_in_years(birth, on):
    """Completed years between two date fields, in SQL (``age_in_years`` in the database)."""
    month_day = lambda field: ExtractMonth(field) * 100 + ExtractDay(field)  # noqa: E731
    return (ExtractYear(on) - ExtractYear(birth)
            - Case(When(LessThan(month_day(on), month_day(birth)), then=Value(1)),
                   default=Value(0), output_field=IntegerField()))


VARIABLES = (
    *subject_keys(""),
    Var("sex", "Sex", codes=codes_of(Patient.Sex)),
    Var("age_at_enrolment", "Age at enrolment (completed years at informed consent)",
        "integer", _age_in_years("birth_date", "consent_date"), unit="years"),
    Var("consent_date", "Informed consent date", "date"),
    Var("consent_version", "Consent form version"),
    Var("status", "Status", codes=codes_of(Patient.Status)),
    Var("withdrawal_date", "Withdrawal date", "date"),
    Var("withdrawal_reason", "Withdrawal reason"),
    Var("death_date", "Date of death", "date"),
    Var("death_cause", "Cause of death",
        codes=codes_of(Patient._meta.get_field("death_cause").choices)),
    Var("day1", "Day 1 (treatment start)", "date", "enrolment__day1"),
    Var("cdk46i", "CDK4/6 inhibitor", source="enrolment__cdk46i"),
    Var("cdk46i_start_dose_mg", "CDK4/6 inhibitor starting dose", "decimal",
        "enrolment__cdk46i_start_dose_mg", unit="mg"),
    Var("endocrine", "Endocrine therapy", source="enrolment__endocrine"),
    Var("ovarian_suppression", "Ovarian function suppression", "boolean",
        "enrolment__ovarian_suppression"),
    Var("progression_date", "Progression date", "date", "enrolment__progression_date"),
    Var("progression_basis", "Progression assessed", source="enrolment__progression_basis",
        codes=(("radiological", "radiological (RECIST 1.1)"), ("clinical", "clinical"))),
    *bookkeeping(),
)

register(Dataset(
    name="subjects",
    label="Subjects",
    description="One row per registered patient: status, consent, day 1 and first-line "
                "treatment. No direct identifier: the birth date is reduced to the age.",
    variables=VARIABLES,
    sources=(Source(lambda: Patient.objects.all(), VARIABLES, site_path="site",
                    study_path="site__study", patient_path="id",
                    subject_path="subject_id"),),
    order_by=("site", "subject_id"),
    odm_form="subject",
))

# Day 1 and treatment live on the enrolment record: its changes belong in the audit trail.
register_history(Enrolment, "patient__site")
