"""What monitoring knows about the apps above it, filled by those apps from ``AppConfig.ready()``.

Monitoring sits just above ``trialsite`` and imports nothing higher. It works on *audited
records*: any ``AuditedModel`` that reaches the registered patient model through its foreign
keys is a monitored record (queries, SDV, locks, signatures and the trail cover it) without
new code. The apps register:

- the scope anchors: the patient model (``register_level("patient", Patient)``) and the visit
  model; the site is ``trialsite.models.Site``;
- models that are bookkeeping rather than data (``exclude``), e.g. reminders sent;
- ``record_url`` functions, so a query can link to the form that edits its record;
- edit-check fact sources (``register_edit_check_source``): functions returning the plain
  facts the pure checks in ``monitoring.domain.editchecks`` evaluate;
- dashboard sources (``register_dashboard_source``): functions returning plain counts.

A model may also declare ``MONITORING_SCOPE = {"patient": "...", "visit": "...", "site": "..."}``
(lookup paths, ``"pk"`` for itself) when its foreign keys are ambiguous, or ``None`` to opt out.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings

from trialsite.audit import AuditedModel

LEVELS = ("site", "patient", "visit")

_anchors: dict[str, type] = {}
_label_fields: dict[str, str] = {}
_excluded: set[str] = set()
_record_urls: list = []
_edit_check_sources: list = []
_dashboard_sources: list = []
_scope_cache: dict = {}
_trail_models: dict = {}


@dataclass(frozen=True)
class Scope:
    """Lookup paths from a record to its site, patient and visit (``None``: not reached)."""

    site: str
    patient: str
    visit: str | None


def register_level(level, model, *, label_field="pk", lookup_field=None):
    """Name the model that is the ``patient`` (or ``visit``) level of the locks and the trail.

    ``label_field`` is what pages show for it (a subject id); ``lookup_field`` the URL key.
    """
    if level not in ("patient", "visit"):
        raise ValueError(f"unknown level {level!r}")
    _anchors[level] = model
    _label_fields[level] = label_field
    _label_fields[f"{level}_lookup"] = lookup_field or label_field
    _scope_cache.clear()


def exclude(model):
    _excluded.add(model._meta.label)
    _scope_cache.clear()


def register_record_url(function):
    """``function(record) -> url or None``: where the record's form is read and corrected."""
    if function not in _record_urls:
        _record_urls.append(function)


def register_edit_check_source(function):
    """``function(patient_pks) -> iterable of facts`` (``monitoring.domain.editchecks``)."""
    if function not in _edit_check_sources:
        _edit_check_sources.append(function)


def register_dashboard_source(function):
    """``function(study, sites) -> dict`` of plain counts merged into the dashboard."""
    if function not in _dashboard_sources:
        _dashboard_sources.append(function)


def register_trail_model(model, *, site_path="site", study_path="site__study"):
    """An audited model that is not a patient's record but belongs in the study-wide audit
    trail (a site archive: who asked for it, what was built)."""
    _trail_models[model._meta.label] = (model, site_path, study_path)


def trail_models():
    return tuple(_trail_models.values())


def edit_check_sources():
    return tuple(_edit_check_sources)


def dashboard_sources():
    return tuple(_dashboard_sources)


def anchor(level):
    if level == "site":
        from trialsite.models import Site

        return Site
    return _anchors.get(level)


def label_field(level):
    return _label_fields.get(level, "pk")


def lookup_field(level):
    return _label_fields.get(f"{level}_lookup", "pk")


def patient_model():
    return _anchors.get("patient")


def visit_model():
    return _anchors.get("visit")


def _forward_relations(model):
    user_label = settings.AUTH_USER_MODEL
    for field in model._meta.concrete_fields:
        if not field.is_relation or field.related_model is None:
            continue
        if field.related_model._meta.label in (user_label, "contenttypes.ContentType"):
            continue
        yield field


def _shortest_path(model, target, max_depth=4):
    if model is target:
        return "pk"
    queue = deque([(model, [])])
    seen = {model}
    while queue:
        current, path = queue.popleft()
        if len(path) >= max_depth:
            continue
        for field in _forward_relations(current):
            related = field.related_model
            if related is target:
                return "__".join([*path, field.name])
            if related not in seen:
                seen.add(related)
                queue.append((related, [*path, field.name]))
    return None


def scope_of(model):
    """The record's ``Scope``, or None when the model is not a monitored record."""
    key = model._meta.label
    if key in _scope_cache:
        return _scope_cache[key]
    scope = None
    declared = getattr(model, "MONITORING_SCOPE", ...)
    patient = patient_model()
    if declared is None or key in _excluded or patient is None:
        scope = None
    elif declared is not ...:
        scope = Scope(site=declared["site"], patient=declared["patient"],
                      visit=declared.get("visit"))
    elif issubclass(model, AuditedModel) and not model._meta.abstract:
        patient_path = _shortest_path(model, patient)
        if patient_path is not None:
            # The record belongs to its patient's site (not, say, a freezer's or a lab's).
            patient_site = _shortest_path(patient, anchor("site"))
            site_path = (patient_site if patient_path == "pk"
                         else f"{patient_path}__{patient_site}")
            visit = visit_model()
            visit_path = _shortest_path(model, visit) if visit is not None else None
            scope = Scope(site=site_path, patient=patient_path, visit=visit_path)
    _scope_cache[key] = scope
    return scope


def monitored_models():
    """Every concrete model that is a monitored record, in a stable order (by label)."""
    return sorted(
        (m for m in apps.get_models() if scope_of(m) is not None),
        key=lambda m: m._meta.label,
    )


def record_url(record):
    url = getattr(record, "get_absolute_url", None)
    if callable(url):
        return url()
    for function in _record_urls:
        found = function(record)
        if found:
            return found
    return None
