"""Resolve where records belong (site, patient, visit ids), in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F

from trialsite.monitoring import registry


@dataclass(frozen=True)
class Where:
    site_id: int
    patient_pk: int | None
    visit_pk: int | None
    patient_label: str
    site_time_zone: str


def _annotations(scope):
    out = {"_site_id": F(scope.site if scope.site != "pk" else "pk"),
           "_site_tz": F(f"{scope.site}__time_zone"),
           "_patient_pk": F(scope.patient)}
    label_field = registry.label_field("patient")
    out["_patient_label"] = F(label_field if scope.patient == "pk"
                              else f"{scope.patient}__{label_field}")
    if scope.visit:
        out["_visit_pk"] = F(scope.visit)
    return out


def where_of(record):
    """The ``Where`` of one saved record (one query)."""
    return where_of_many(type(record), [record.pk])[record.pk]


def where_of_many(model, pks):
    """``{pk: Where}`` for records of one model (one query)."""
    scope = registry.scope_of(model)
    if scope is None or not pks:
        return {}
    rows = model._base_manager.filter(pk__in=list(pks)).values("pk", **_annotations(scope))
    return {
        row["pk"]: Where(site_id=row["_site_id"], patient_pk=row["_patient_pk"],
                         visit_pk=row.get("_visit_pk"),
                         patient_label=str(row["_patient_label"]),
                         site_time_zone=row["_site_tz"])
        for row in rows
    }


def scope_queryset(model, *, patient_pk=None, visit_pk=None, site_ids=None):
    """The live records of ``model`` at a patient, a visit or sites."""
    scope = registry.scope_of(model)
    qs = model._base_manager.all()
    if patient_pk is not None:
        qs = qs.filter(**{scope.patient: patient_pk})
    if visit_pk is not None:
        if not scope.visit:
            return qs.none()
        qs = qs.filter(**{scope.visit: visit_pk})
    if site_ids is not None:
        qs = qs.filter(**{f"{scope.site}__in" if scope.site != "pk" else "pk__in": site_ids})
    return qs
