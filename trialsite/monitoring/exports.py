"""The queries dataset: every data query raised on a record, with its status."""

from trialsite.exports.registry import Dataset, Source, Var, bookkeeping, codes_of, register
from trialsite.monitoring.models import Query

VARIABLES = (
    Var("study", "Study code", source="site__study__code"),
    Var("site", "Site code", source="site__code"),
    Var("subject_id", "Subject id (pseudonym; empty for a site-level record)",
        source="patient_label"),
    Var("record_type", "Form (model name) the query is on", source="record_type__model"),
    Var("record_app", "Application of the form", source="record_type__app_label"),
    Var("query_record_id", "Record id within its form's dataset", "integer", "record_id"),
    Var("record_label", "Record"),
    Var("field_name", "Variable queried (empty: the whole record)"),
    Var("field_label", "Variable label"),
    Var("record_version", "Record version when the query was opened", "integer"),
    Var("status", "Query status", codes=codes_of(Query.Status)),
    Var("opened_by", "Opened by (login name)", source="opened_by__username"),
    Var("opened_at", "Opened at (UTC)", "datetime", "created_at"),
    Var("check_code", "Edit check that raised it (empty: raised by a person)"),
    Var("closed_at", "Closed at (UTC)", "datetime"),
    *bookkeeping(),
)

register(Dataset(
    name="queries", label="Data queries",
    description="Every data query: the record and variable it is on, who opened it, its "
                "status. Queries are closed, never voided.",
    variables=VARIABLES,
    sources=(Source(lambda: Query.objects.all(), VARIABLES, site_path="site",
                    study_path="site__study", patient_path="patient_pk",
                    subject_path="patient_label"),),
    order_by=("site", "record_id"),
))
