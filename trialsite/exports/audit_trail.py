"""The ``audit_trail`` dataset: the union of the history tables behind every other dataset.

Built after every app has registered its datasets (``ExportsConfig.ready``): each model read by
a dataset contributes its history table, with the same site path (history rows keep their
foreign keys), so the trail obeys the same visibility as the data it describes.
"""

from django.db.models import Case, CharField, F, Value, When

from trialsite.exports.registry import Dataset, Source, Var, all_datasets, register

#: Models whose history belongs in the trail without being a dataset of their own:
#: (model, site path, subject path), added by the apps with ``register_history``.
_EXTRA = []


def register_history(model, site_path, subject_path="patient__subject_id"):
    _EXTRA.append((model, site_path, subject_path))


def _variables(model, site_path, subject_path):
    table = f"{model._meta.app_label}.{model._meta.model_name}"
    return (
        Var("study", "Study code", source=f"{site_path}__study__code"),
        Var("site", "Site code", source=f"{site_path}__code"),
        Var("subject_id", "Subject id (pseudonym; empty for records of no patient)",
            source=subject_path or Value(None, output_field=CharField())),
        Var("table", "Record type (app.model)", source=Value(table, output_field=CharField())),
        Var("record_id", "Record id", "integer", "id"),
        Var("version", "Record version after the change", "integer", "version"),
        Var("history_id", "History entry id (unique within the record type)", "integer",
            "history_id"),
        Var("changed_at", "Changed at (UTC)", "datetime", "history_date"),
        Var("action", "What happened", source=Case(
            When(history_type="+", then=Value("created")),
            When(history_type="-", then=Value("deleted")),
            When(voided_at__isnull=False, then=Value("voided")),
            default=Value("changed"), output_field=CharField()),
            codes=(("created", "created"), ("changed", "changed"), ("voided", "voided"),
                   ("deleted", "deleted"))),
        Var("user", "Acting user (login name)", source="history_user__username"),
        Var("reason", "Reason for change", source=F("history_change_reason")),
    )


def register_audit_trail():
    seen, sources = set(), []
    triples = [(s.queryset().model, s.site_path, s.subject_path)
               for d in all_datasets() for s in d.sources]
    for model, site_path, subject_path in [*triples, *_EXTRA]:
        if model in seen or not hasattr(model, "history"):
            continue
        seen.add(model)
        history = model.history.model
        sources.append(Source(lambda history=history: history.objects.all(),
                              _variables(model, site_path, subject_path), site_path=site_path,
                              study_path=f"{site_path}__study", updated_path="history_date",
                              voided_path="", subject_path=subject_path))
    if not sources:
        return
    # Every source must give the same variables: the ``table`` value differs, so register the
    # first source's variable list as the dataset's (names, labels and types are identical).
    variables = sources[0].variables
    register(Dataset(
        name="audit_trail", label="Audit trail",
        description="Every creation, change and void of every exported record: who, when, "
                    "why. Filter by date with date_from and date_to (UTC days, inclusive).",
        variables=variables, sources=tuple(sources),
        order_by=("changed_at", "table", "history_id"), date_path="history_date",
        notes=("updated_since selects entries made since that time.",),
    ))
