"""Real-world datasets: lines of therapy, comorbidities, collected items, and survival.

``treatment_lines`` uses the column names the real-world import reads, so an export can be
imported elsewhere; the regimen is the drug codes joined by ``+`` in the order entered.
``survival`` is derived (as on the outcomes page) and always exported whole.
"""

from django.db.models import Func, TextField

from outcomes import reports
from outcomes.models import CollectedItem, Comorbidity, LineResponse, StopReason, TreatmentLine
from outcomes.realworld import survival
from trialsite.exports.registry import (
    Dataset,
    Source,
    Var,
    bookkeeping,
    codes_of,
    register,
    subject_keys,
)
from trialsite.protocols import all_protocols

_SITE = {"site_path": "patient__site", "study_path": "patient__site__study"}


class JoinedCodes(Func):
    """A JSON list of codes as one text, joined by ``+`` in list order."""

    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(SELECT group_concat(value, '+') FROM json_each({sql}))", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return (f"array_to_string(ARRAY(SELECT e.value FROM jsonb_array_elements_text({sql}) "
                f"WITH ORDINALITY AS e(value, n) ORDER BY e.n), '+')"), params


def _codes(attribute):
    seen = {}
    for protocol in all_protocols():
        plan = protocol.real_world
        if plan is not None:
            for item in getattr(plan, attribute):
                seen.setdefault(item.code, item.label)
    return tuple(seen.items())


def _line_drugs():
    seen = {}
    for protocol in all_protocols():
        if protocol.real_world is not None:
            for code in protocol.real_world.line_drugs:
                seen.setdefault(code, protocol.drug(code).name)
    return tuple(seen.items())


LINE_VARIABLES = (
    *subject_keys(),
    Var("line_number", "Line of therapy for advanced disease", "integer", "number"),
    Var("drugs", "Regimen: drug codes joined by +", source=JoinedCodes("drugs"),
        codes=_line_drugs()),
    Var("other_regimen", "Other drugs of the regimen"),
    Var("start_date", "Start date", "date"),
    Var("stop_date", "Stop date (empty: ongoing)", "date"),
    Var("best_response", "Best response as recorded by the site", codes=codes_of(LineResponse)),
    Var("stop_reason", "Reason for stopping", codes=codes_of(StopReason)),
    Var("stop_reason_other", "Other reason for stopping"),
    *bookkeeping(),
)
register(Dataset(
    name="treatment_lines", label="Lines of therapy",
    description="Every line of therapy for advanced disease, as the site recorded it; line 1 "
                "is the CDK4/6 inhibitor with its endocrine partner.",
    variables=LINE_VARIABLES,
    sources=(Source(lambda: TreatmentLine.objects.all(), LINE_VARIABLES, **_SITE),),
    order_by=("site", "subject_id", "line_number", "record_id"),
    odm_form="treatment_lines", odm_repeating=True,
))

COMORBIDITY_VARIABLES = (
    *subject_keys(),
    Var("comorbidity", "Comorbidity at baseline", source="code", codes=_codes("comorbidities")),
    Var("details", "Details"),
    *bookkeeping(),
)
register(Dataset(
    name="comorbidities", label="Comorbidities at baseline",
    description="Comorbidities present at baseline, from the protocol's coded list.",
    variables=COMORBIDITY_VARIABLES,
    sources=(Source(lambda: Comorbidity.objects.all(), COMORBIDITY_VARIABLES, **_SITE),),
    order_by=("site", "subject_id", "comorbidity", "record_id"),
    odm_form="comorbidities", odm_repeating=True,
))

ITEM_VARIABLES = (
    *subject_keys(),
    Var("item", "Sub-study item", source="kind", codes=_codes("collected_items")),
    Var("collected_on", "Collection date", "date"),
    Var("storage_reference", "Where it is stored (PACS, archive, scanner file)"),
    Var("consent_for_use", "Consent for its use in the sub-study", "boolean"),
    *bookkeeping(),
)
register(Dataset(
    name="collected_items", label="Collected items (imaging and translational sub-studies)",
    description="Baseline CT, FDG-PET, digitised H&E slide and tumour block per patient, with "
                "where each is stored and the consent for its use.",
    variables=ITEM_VARIABLES,
    sources=(Source(lambda: CollectedItem.objects.all(), ITEM_VARIABLES, **_SITE),),
    order_by=("site", "subject_id", "item", "record_id"),
    odm_form="collected_items", odm_repeating=True,
))

SURVIVAL_VARIABLES = (
    Var("study", "Study code"),
    Var("site", "Site code"),
    Var("subject_id", "Subject id (pseudonym)"),
    Var("cdk46i", "CDK4/6 inhibitor"),
    Var("os_days", "Overall survival: days from day 1 to death or last contact", "integer",
        unit="days"),
    Var("os_event", "Death (1) or censored at the last contact (0)", "boolean"),
    Var("pfs_line1_days", "PFS on the first line: days from day 1 to progression or death, or "
                          "to the last contact", "integer", unit="days"),
    Var("pfs_line1_event", "Progression or death (1), or censored (0)", "boolean"),
    Var("severe_toxicity", "Any CTCAE grade >= 3 toxicity with onset during line-1 exposure "
                           "(line start to line end + 30 days)", "boolean"),
    Var("os_entry_days", "Delayed entry for OS: days from day 1 to study entry (consent), 0 "
                         "when consent came first (left truncation)", "decimal", unit="days"),
)


def survival_rows(user, filters):
    """Recomputed for the data cut; one row per visible enrolled patient."""
    patients = [p for p in reports.visible_patients(user) if filters.admits(p)]
    for row in survival.patient_survival(patients):
        patient = row.patient
        yield (patient.site.study.code, patient.site.code, patient.subject_id, row.drug,
               row.os_days, int(row.os_event), row.pfs_days, int(row.pfs_event),
               int(row.severe_toxicity), row.os_entry_days)


register(Dataset(
    name="survival", label="Survival by patient",
    description="Overall survival and first-line progression-free survival per patient, as on "
                "the outcomes page. Derived: always exported whole (no updated_since).",
    variables=SURVIVAL_VARIABLES, rows=survival_rows, incremental=False,
    odm_form="survival",
))
