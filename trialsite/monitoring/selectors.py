"""Reads shared by the monitoring pages: the audit trail, queries, SDV, signatures."""

from __future__ import annotations

import base64
import heapq
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from trialsite import access, esign
from trialsite.audit import history_diff, history_entries, with_parents
from trialsite.models import CLINICAL_READ_ROLES, Membership, Role, Site
from trialsite.monitoring import registry
from trialsite.monitoring.models import CasebookSignature, Lock, Query, QueryMessage, SdvMark
from trialsite.monitoring.scope import scope_queryset

#: Who reads the audit trail of the records they can see.
TRAIL_ROLES = frozenset({Role.COORDINATOR, Role.INVESTIGATOR, Role.MONITOR,
                         Role.DATA_MANAGER})
#: Who reviews study-wide (trail, exports, SDV, locks).
REVIEW_ROLES = frozenset({Role.MONITOR, Role.DATA_MANAGER})
#: Who sees the operations dashboard.
DASHBOARD_ROLES = frozenset({Role.MONITOR, Role.DATA_MANAGER, Role.SPONSOR})
PAGE_SIZE = 50
#: The longest period one CSV export of the trail covers.
EXPORT_MAX_DAYS = 366


def form_label(model):
    return str(model._meta.verbose_name).capitalize()


# --- records and patients ---------------------------------------------------------------------


def monitored_model(key):
    """The monitored model named ``key`` ("app_label.modelname"), else 404."""
    try:
        model = apps.get_model(key)
    except (LookupError, ValueError):
        raise Http404("No such form") from None
    if model is None or registry.scope_of(model) is None:
        raise Http404("Not a monitored form")
    return model


def record_get(*, user, model, pk, roles=TRAIL_ROLES):
    """The record if the user covers its site with one of ``roles``, else 404."""
    scope = registry.scope_of(model)
    qs = model._base_manager.filter(pk=pk).filter(access.site_filter(user, roles=roles,
                                                                     prefix=scope.site))
    record = qs.first()
    if record is None:
        raise Http404("No such record")
    return record


def patient_get(*, user, key, roles=TRAIL_ROLES):
    model = registry.patient_model()
    scope = registry.scope_of(model)
    record = (model._base_manager.filter(**{registry.lookup_field("patient"): key})
              .filter(access.site_filter(user, roles=roles, prefix=scope.site))
              .select_related(scope.site).first())
    if record is None:
        raise Http404("No such patient")
    return record


def site_of(record):
    scope = registry.scope_of(type(record))
    site_id = (record.pk if scope.site == "pk" else
               type(record)._base_manager.filter(pk=record.pk).values_list(scope.site,
                                                                          flat=True)[0])
    return Site.objects.select_related("study").get(pk=site_id)


def field_choices(model):
    """(name, label) of the data fields a query may name."""
    skip = {"id", "version", "created_at", "updated_at", "voided_at", "void_reason"}
    return [(f.name, str(f.verbose_name).capitalize()) for f in model._meta.concrete_fields
            if f.name not in skip and not f.primary_key]


def _content_type(model):
    return ContentType.objects.get_for_model(model, for_concrete_model=False)


def record_trail(record, *, time_zone):
    rows = record.history.select_related("history_user").all()
    return history_entries(rows, time_zone=time_zone)


def record_monitoring(record):
    """Queries (with messages), SDV state and the versions that answered queries (3 queries)."""
    content_type = _content_type(type(record))
    queries = list(Query.objects.filter(record_type=content_type, record_id=record.pk)
                   .select_related("opened_by").prefetch_related("messages__author")
                   .order_by("-created_at"))
    mark = (SdvMark.objects.filter(record_type=content_type, record_id=record.pk)
            .select_related("verified_by").first())
    answered_by = {}
    for query in queries:
        for message in query.messages.all():
            if message.correction_version:
                answered_by.setdefault(message.correction_version, []).append(query)
    return {"queries": queries, "sdv": sdv_state(mark, record), "answered_by": answered_by}


@dataclass(frozen=True)
class SdvState:
    mark: object
    verified: bool
    changed_since: bool
    changes: tuple  # history entries after the verified version


def sdv_state(mark, record):
    if mark is None:
        return SdvState(None, False, False, ())
    if mark.record_version == record.version:
        return SdvState(mark, True, False, ())
    rows = record.history.filter(version__gte=mark.record_version).select_related("history_user")
    later = tuple(e for e in history_entries(rows) if e.version > mark.record_version)
    return SdvState(mark, False, True, later)


def query_markers(record):
    """Open or answered queries of ``record`` by field name and by field label (one query)."""
    if record is None or registry.scope_of(type(record)) is None:
        return None
    model = type(record)
    live = list(Query.objects.filter(record_type__app_label=model._meta.app_label,
                                     record_type__model=model._meta.model_name,
                                     record_id=record.pk)
                .exclude(status=Query.Status.CLOSED).order_by("pk"))
    by_field, labels = {}, set()
    for query in live:
        by_field.setdefault(query.field_name, []).append(query)
        if query.field_label:
            labels.add(query.field_label.lower())
    return {"live": live, "fields": set(by_field), "labels": labels,
            "record_key": model._meta.label_lower, "record_id": record.pk}


# --- the patient's merged trail ----------------------------------------------------------------


def patient_trail(patient, *, model=None, user_id=None, time_zone="UTC"):
    """Every version of every record of ``patient``, newest first: one query per form, one per
    related model for the names of foreign keys, whatever the number of versions."""
    models = [model] if model is not None else registry.monitored_models()
    rows_by_model = {}
    for m in models:
        scope = registry.scope_of(m)
        path = "id" if scope.patient == "pk" else scope.patient
        rows = list(m.history.filter(**{path: patient.pk}).select_related("history_user"))
        if rows:
            rows_by_model[m] = rows
    labels = _shared_foreign_labels(rows_by_model)
    entries = []
    for m, rows in rows_by_model.items():
        by_record = {}
        for row in rows:
            by_record.setdefault(row.id, []).append(row)
        for record_rows in by_record.values():
            for entry in history_entries(record_rows, time_zone=time_zone,
                                         foreign_labels=labels[m]):
                entries.append(TrailRow(entry=entry, model=m, record_id=entry.record.id,
                                        site_code="", patient_label=str(patient)))
    if user_id:
        entries = [e for e in entries if e.entry.record.history_user_id == int(user_id)]
    entries.sort(key=lambda r: (r.entry.record.history_date, r.model._meta.label,
                                r.entry.record.history_id), reverse=True)
    return entries


@dataclass(frozen=True)
class TrailRow:
    entry: object
    model: type
    record_id: int
    site_code: str
    patient_label: str

    @property
    def form(self):
        return form_label(self.model)

    @property
    def record_key(self):
        return self.model._meta.label_lower


# --- the study-wide trail ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrailSource:
    model: type
    site_path: str | None  # None: not at a site (accounts)
    study_path: str
    patient_path: str | None


def trail_sources():
    """Every audited table the study-wide trail reads, with how it reaches site and study."""
    sources = []
    for model in registry.monitored_models():
        scope = registry.scope_of(model)
        patient = None
        if scope.patient != "pk":
            patient = f"{scope.patient}__{registry.label_field('patient')}"
        else:
            patient = registry.label_field("patient")
        sources.append(TrailSource(model, scope.site, f"{scope.site}__study", patient))
    sources.append(TrailSource(Membership, "site", "study", None))
    for model in (Lock, Query, SdvMark, CasebookSignature):
        sources.append(TrailSource(model, "site", "site__study", None))
    sources.append(TrailSource(QueryMessage, "query__site", "query__site__study", None))
    sources.append(TrailSource(get_user_model(), None, "", None))
    for model, site_path, study_path in registry.trail_models():
        sources.append(TrailSource(model, site_path, study_path, None))
    return sorted(sources, key=lambda s: s.model._meta.label)


def trail_forms():
    return [(s.model._meta.label, form_label(s.model)) for s in trail_sources()]


@dataclass(frozen=True)
class TrailFilter:
    study: object
    site: object = None
    user_id: int | None = None
    form: str = ""  # model label
    date_from: object = None
    date_to: object = None
    action: str = ""  # created / changed / voided


def _day_start(day):
    return datetime.combine(day, time.min, tzinfo=UTC)


def _history_qs(source, flt):
    model = source.model
    qs = model.history.all()
    if source.site_path is None:
        if flt.site is not None:
            return None
        members = Membership.objects.filter(study=flt.study).values("user_id")
        qs = qs.filter(id__in=members)
    else:
        qs = qs.filter(**{source.study_path: flt.study})
        if flt.site is not None:
            qs = qs.filter(**{source.site_path: flt.site})
        qs = qs.annotate(_site_code=F(f"{source.site_path}__code"),
                         _site_tz=F(f"{source.site_path}__time_zone"))
    if source.patient_path:
        qs = qs.annotate(_patient=F(source.patient_path))
    if flt.user_id:
        qs = qs.filter(history_user_id=flt.user_id)
    if flt.date_from:
        qs = qs.filter(history_date__gte=_day_start(flt.date_from))
    if flt.date_to:
        qs = qs.filter(history_date__lt=_day_start(flt.date_to + timedelta(days=1)))
    voided = Q(history_type="~", history_change_reason__startswith="Voided")
    if flt.action == "created":
        qs = qs.filter(history_type="+")
    elif flt.action == "voided":
        qs = qs.filter(voided)
    elif flt.action == "changed":
        qs = qs.filter(history_type="~").exclude(voided)
    return qs.select_related("history_user")


def _sources_for(flt):
    sources = trail_sources()
    if flt.form:
        sources = [s for s in sources if s.model._meta.label == flt.form]
    return sources


def encode_cursor(row):
    raw = f"{row.history_date.isoformat()}|{row.instance_type._meta.label}|{row.history_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(text):
    try:
        stamp, label, history_id = base64.urlsafe_b64decode(text.encode()).decode().split("|")
        return datetime.fromisoformat(stamp), label, int(history_id)
    except Exception:  # noqa: BLE001 - a tampered cursor restarts from the top
        return None


def _after_cursor(qs, label, cursor):
    if cursor is None:
        return qs
    stamp, cursor_label, history_id = cursor
    if label < cursor_label:
        return qs.filter(history_date__lte=stamp)
    if label == cursor_label:
        return qs.filter(Q(history_date__lt=stamp) | Q(history_date=stamp,
                                                       history_id__lt=history_id))
    return qs.filter(history_date__lt=stamp)


def _previous_versions(model, rows):
    """The version before each row (one query), keyed by history id of the row."""
    wanted = [r for r in rows if r.history_type != "+"]
    if not wanted:
        return {}
    ids = {r.id for r in wanted}
    if hasattr(rows[0], "version"):
        versions = {r.version - 1 for r in wanted}
        candidates = (model.history.filter(id__in=ids, version__in=versions)
                      .select_related("history_user"))
        by_key = {(c.id, c.version): c for c in candidates}
        return {r.history_id: by_key.get((r.id, r.version - 1)) for r in wanted}
    # Accounts carry no version: the previous row is the latest one before, by time.
    latest = max(r.history_date for r in wanted)
    candidates = sorted(
        model.history.select_related("history_user").filter(id__in=ids,
                                                             history_date__lte=latest),
        key=lambda c: (c.history_date, c.history_id))
    out = {}
    for r in wanted:
        before = [c for c in candidates
                  if c.id == r.id and (c.history_date, c.history_id)
                  < (r.history_date, r.history_id)]
        out[r.history_id] = before[-1] if before else None
    return out


def _shared_foreign_labels(rows_by_model):
    """``{model: {field: {id: label}}}`` with one query per related model, whatever the number
    of forms on the page (the per-model default would cost one query per foreign key)."""
    wanted = {}
    for model, rows in rows_by_model.items():
        for field in model._meta.concrete_fields:
            if not field.is_relation or field.name in ("version", "created_at", "updated_at"):
                continue
            ids = {getattr(row, field.attname, None) for row in rows} - {None}
            if ids:
                wanted.setdefault(field.related_model, set()).update(ids)
    names = {related: {pk: str(obj) for pk, obj in
                       # select_related(): names that show a parent (a visit
                       # names its patient) cost no query per row.
                       with_parents(related).in_bulk(ids).items()}
             for related, ids in wanted.items()}
    return {
        model: {field.name: names.get(field.related_model, {})
                for field in model._meta.concrete_fields if field.is_relation}
        for model in rows_by_model
    }


def _trail_rows_many(rows_by_model):
    """TrailRows of history rows of several models: one query per model for the versions
    before them, one per related model for the names of their foreign keys."""
    previous = {model: _previous_versions(model, rows) for model, rows in rows_by_model.items()}
    labels = _shared_foreign_labels({
        model: [*rows, *[p for p in previous[model].values() if p]]
        for model, rows in rows_by_model.items()
    })
    out = {}
    for model, rows in rows_by_model.items():
        for row in rows:
            zone = getattr(row, "_site_tz", None) or "UTC"
            entry = history_diff(row, previous[model].get(row.history_id), time_zone=zone,
                                 foreign_labels=labels[model])
            out[(model._meta.label, row.history_id)] = TrailRow(
                entry=entry, model=model, record_id=row.id,
                site_code=getattr(row, "_site_code", "") or "",
                patient_label=str(getattr(row, "_patient", "") or ""))
    return out


def _trail_rows(model, rows):
    converted = _trail_rows_many({model: rows})
    return [converted[(model._meta.label, row.history_id)] for row in rows]


def study_trail(flt, *, cursor=None, page_size=PAGE_SIZE):
    """One page of the study's trail, newest first, and the cursor of the next page.

    Each audited table is read with its filters, ordered by time and cut at the page size
    (indexed on ``history_date`` and the filter columns), then merged: the number of queries
    depends on the number of tables, not on the number of rows.
    """
    position = decode_cursor(cursor) if cursor else None
    picked = []
    for source in _sources_for(flt):
        qs = _history_qs(source, flt)
        if qs is None:
            continue
        label = source.model._meta.label
        qs = _after_cursor(qs, label, position).order_by("-history_date", "-history_id")
        for row in qs[:page_size + 1]:
            picked.append((row.history_date, label, row.history_id, row, source.model))
    picked.sort(key=lambda item: item[:3], reverse=True)
    more = len(picked) > page_size
    picked = picked[:page_size]
    by_model = {}
    for _, _, _, row, model in picked:
        by_model.setdefault(model, []).append(row)
    converted = _trail_rows_many(by_model)
    page = [converted[(label, history_id)] for _, label, history_id, _, _ in picked]
    next_cursor = encode_cursor(picked[-1][3]) if more and picked else None
    return page, next_cursor


def trail_export_rows(flt, *, chunk_size=1000):
    """Every trail row of ``flt`` in time order, as CSV rows, reading in chunks (streamed)."""
    def one_source(source):
        qs = _history_qs(source, flt)
        if qs is None:
            return
        qs = qs.order_by("history_date", "history_id")
        buffer = []
        for row in qs.iterator(chunk_size=chunk_size):
            buffer.append(row)
            if len(buffer) >= chunk_size:
                yield from _csv_rows(source.model, buffer)
                buffer = []
        if buffer:
            yield from _csv_rows(source.model, buffer)

    iterators = [one_source(s) for s in _sources_for(flt)]
    for _, row in heapq.merge(*iterators, key=lambda item: item[0]):
        yield row


def _csv_rows(model, rows):
    label = model._meta.label
    for trail_row in _trail_rows(model, rows):
        entry = trail_row.entry
        changes = "; ".join(
            f"{c.label}: {c.old} → {c.new}" if entry.action != "created" else f"{c.label}: {c.new}"
            for c in entry.changes
        )
        key = (entry.record.history_date, label, entry.record.history_id)
        yield key, [
            entry.at_utc.strftime("%Y-%m-%d %H:%M:%S"), trail_row.site_code,
            entry.at_local.strftime("%Y-%m-%d %H:%M:%S"), entry.time_zone,
            trail_row.form, trail_row.record_id, trail_row.patient_label, entry.version,
            entry.action, entry.user_label, entry.reason, changes,
        ]


CSV_HEADER = ["time_utc", "site", "time_local", "time_zone", "form", "record_id", "patient",
              "version", "action", "user", "reason", "changes"]


# --- queries ----------------------------------------------------------------------------------


def queries_visible_to(user):
    return Query.objects.visible_to(user, roles=CLINICAL_READ_ROLES - {Role.SPONSOR})


def query_list(user, *, status="", site=None, mine=False, patient_pk=None):
    qs = queries_visible_to(user).select_related("site", "opened_by", "record_type")
    if status:
        qs = qs.filter(status=status)
    if site is not None:
        qs = qs.filter(site=site)
    if mine:
        qs = qs.filter(Q(opened_by=user) | Q(messages__author=user)).distinct()
    if patient_pk is not None:
        qs = qs.filter(patient_pk=patient_pk)
    return qs.order_by("created_at")


def query_get(user, pk):
    query = (queries_visible_to(user).select_related("site__study", "opened_by", "record_type")
             .filter(pk=pk).first())
    if query is None:
        raise Http404("No such query")
    return query


def age_days(moment, today=None):
    today = today or timezone.now().date()
    return (today - moment.date()).days


def query_counts(user):
    """Open / answered counts of the queries the user sees (one query)."""
    rows = (Query.objects.visible_to(user).exclude(status=Query.Status.CLOSED)
            .values("status").annotate(n=Count("pk")))
    counts = {r["status"]: r["n"] for r in rows}
    return {"open": counts.get("open", 0), "answered": counts.get("answered", 0)}


# --- SDV worklist -----------------------------------------------------------------------------


def _verified(model):
    """``Exists`` of an SDV mark of the record at its current version (the unique
    ``(record_type, record_id)`` index answers it)."""
    return Exists(SdvMark.objects.filter(record_type=_content_type(model),
                                         record_id=OuterRef("pk"),
                                         record_version=OuterRef("version")))


def _sdv_counts(model, qs, group_by):
    """``[(group, verified, total)]`` of ``qs`` counted in the database, one query."""
    return list(qs.annotate(sdv_done=_verified(model)).order_by().values_list(group_by)
                .annotate(verified=Count("pk", filter=Q(sdv_done=True)), total=Count("pk")))


def sdv_worklist(site, *, limit=200):
    """Records of ``site`` not verified at their current version (the first ``limit`` by
    patient, form and id), and progress in %.

    Counted and picked in the database: per form one aggregate and one query for at most
    ``limit`` unverified records, whatever the number of records.
    """
    total = verified = 0
    todo = []
    for model in registry.monitored_models():
        scope = registry.scope_of(model)
        qs = scope_queryset(model, site_ids=[site.pk]).filter(voided_at__isnull=True)
        for _, done, count in _sdv_counts(model, qs, scope.site):
            total += count
            verified += done
        patient = (registry.label_field("patient") if scope.patient == "pk"
                   else f"{scope.patient}__{registry.label_field('patient')}")
        content_type = _content_type(model)
        marked = Exists(SdvMark.objects.filter(record_type=content_type,
                                               record_id=OuterRef("pk")))
        pending = (qs.annotate(sdv_done=_verified(model), sdv_marked=marked)
                   .filter(sdv_done=False).order_by(patient, "pk")
                   .values_list("pk", patient, "sdv_marked")[:limit])
        for pk, patient_label, was_marked in pending:
            todo.append({"model": model, "form": form_label(model), "pk": pk,
                         "record_key": model._meta.label_lower, "patient": patient_label,
                         "changed": was_marked})
    todo.sort(key=lambda r: (str(r["patient"]), r["form"], r["pk"]))
    percent = round(100 * verified / total) if total else 0
    return {"total": total, "verified": verified, "percent": percent, "todo": todo[:limit]}


def sdv_progress(site_ids):
    """``{site id: (verified, total)}`` over ``site_ids``: one aggregate query per form,
    counted in the database."""
    out = {pk: [0, 0] for pk in site_ids}
    for model in registry.monitored_models():
        scope = registry.scope_of(model)
        qs = scope_queryset(model, site_ids=site_ids).filter(voided_at__isnull=True)
        for site_id, done, count in _sdv_counts(model, qs, scope.site):
            out[site_id][0] += done
            out[site_id][1] += count
    return {k: tuple(v) for k, v in out.items()}


def visit_records(visit):
    """The visit itself and every live monitored record of it."""
    records = [visit]
    for model in registry.monitored_models():
        if model is type(visit) or not registry.scope_of(model).visit:
            continue
        records.extend(scope_queryset(model, visit_pk=visit.pk).filter(voided_at__isnull=True))
    return records


# --- casebook signature -----------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureState:
    signature: object
    valid: bool
    changed: tuple  # (form label, record id, signed version or None, current version or None)


def signature_state(patient_pk):
    """The latest signature of the casebook and whether it still covers the data."""
    from trialsite.monitoring.services import casebook_manifest

    signature = (CasebookSignature.objects.filter(patient_pk=patient_pk)
                 .select_related("signer").first())
    if signature is None:
        return SignatureState(None, False, ())
    manifest = casebook_manifest(patient_pk)
    if esign.digest(manifest) == signature.content_hash:
        return SignatureState(signature, True, ())
    signed = {(label, pk): version for label, pk, version in signature.manifest}
    now = {(label, pk): version for label, pk, version in manifest}
    changed = []
    for key in sorted(set(signed) | set(now)):
        if signed.get(key) != now.get(key):
            model = apps.get_model(key[0])
            changed.append((form_label(model), key[1], signed.get(key), now.get(key),
                            model._meta.label_lower))
    return SignatureState(signature, False, tuple(changed))


def locks_of(site_ids=None, *, active=True):
    qs = Lock.objects.select_related("site", "locked_by", "unlocked_by")
    if site_ids is not None:
        qs = qs.filter(site_id__in=site_ids)
    if active:
        qs = qs.filter(unlocked_at__isnull=True)
    return qs.order_by("-created_at")


def active_lock_for(*, site_id, patient_pk=None, visit_pk=None):
    q = Q(level=Lock.Level.SITE, site_id=site_id)
    if patient_pk is not None:
        q |= Q(level=Lock.Level.PATIENT, patient_pk=patient_pk)
    if visit_pk is not None:
        q |= Q(level=Lock.Level.VISIT, visit_pk=visit_pk)
    return Lock.objects.filter(unlocked_at__isnull=True).filter(q).first()


def casebook_panel(patient, user):
    """The casebook's monitoring panel: the signature's state (one query while the casebook
    is unsigned; once signed, one per form to check that it still covers the data), and links
    to the queries, the audit trail and the signature page."""
    site = patient.site
    return {
        "signature": signature_state(patient.pk),
        "can_sign": access.has_role_at(user, Role.INVESTIGATOR, site),
        "can_review": any(access.has_role_at(user, r, site) for r in TRAIL_ROLES),
    }
