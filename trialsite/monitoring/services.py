"""Every monitoring write: locks, queries, SDV, casebook signatures and the edit-check sync."""

from __future__ import annotations

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from trialsite import access, esign
from trialsite.audit import audited_save, check_version
from trialsite.models import Role, Site
from trialsite.monitoring import registry
from trialsite.monitoring.domain import editchecks
from trialsite.monitoring.models import CasebookSignature, Lock, Query, QueryMessage, SdvMark
from trialsite.monitoring.scope import scope_queryset, where_of

REVIEWER_ROLES = (Role.MONITOR, Role.DATA_MANAGER)


def _text(value, field="text", what="A message"):
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError({field: "The text contains a NUL character."})
    if not value:
        raise ValidationError({field: f"{what} is required."})
    return value


def _site(site_id):
    return Site.objects.select_related("study").get(pk=site_id)


def _require_any_role(actor, roles, site, message):
    if actor.is_superuser or any(access.has_role_at(actor, r, site) for r in roles):
        return
    raise PermissionDenied(message)


def _is_system(actor):
    from django.conf import settings

    return actor.username == settings.TRIALSITE_SYSTEM_USERNAME


def _record_where(record):
    if registry.scope_of(type(record)) is None:
        raise ValidationError("This record is not a patient record that monitoring covers.")
    return where_of(record)


# --- locks ------------------------------------------------------------------------------------


def lock_create(*, actor, target, reason):
    """Lock a site, a patient or a visit: nothing in it changes until it is unlocked."""
    reason = _text(reason, "reason", "A reason for locking")
    patient_model, visit_model = registry.patient_model(), registry.visit_model()
    if isinstance(target, Site):
        site, level, patient_pk, visit_pk, label = target, Lock.Level.SITE, None, None, target.code
        patient_label = ""
    elif patient_model is not None and isinstance(target, patient_model):
        where = where_of(target)
        site, level = _site(where.site_id), Lock.Level.PATIENT
        patient_pk, visit_pk, label = target.pk, None, str(target)
        patient_label = where.patient_label
    elif visit_model is not None and isinstance(target, visit_model):
        where = where_of(target)
        site, level = _site(where.site_id), Lock.Level.VISIT
        patient_pk, visit_pk, label = where.patient_pk, target.pk, str(target)
        patient_label = where.patient_label
    else:
        raise ValidationError("Only a site, a patient or a visit can be locked.")
    _require_any_role(actor, (Role.DATA_MANAGER,), site,
                      "Only the study's data managers lock and unlock data.")
    with transaction.atomic():
        exists = Lock.objects.filter(level=level, site=site, patient_pk=patient_pk,
                                     visit_pk=visit_pk, unlocked_at__isnull=True).exists()
        if exists:
            raise ValidationError(f"{label} is already locked.")
        return audited_save(Lock(
            level=level, site=site, patient_pk=patient_pk, visit_pk=visit_pk,
            patient_label=patient_label, target_label=label[:120], lock_reason=reason,
            locked_by=actor,
        ), actor=actor)


def lock_release(*, actor, lock, reason, expected_version=None):
    reason = _text(reason, "reason", "A reason for unlocking")
    _require_any_role(actor, (Role.DATA_MANAGER,), lock.site,
                      "Only the study's data managers lock and unlock data.")
    check_version(lock, expected_version)
    if not lock.is_active:
        raise ValidationError("This lock was already released.")
    with transaction.atomic():
        lock.unlocked_at = timezone.now()
        lock.unlocked_by = actor
        lock.unlock_reason = reason
        return audited_save(lock, actor=actor, reason=f"Unlocked: {reason}",
                            changed={"unlocked_at", "unlocked_by", "unlock_reason"})


# --- queries ----------------------------------------------------------------------------------


def _field_label(model, field_name):
    if not field_name:
        return ""
    try:
        field = model._meta.get_field(field_name)
    except Exception:  # noqa: BLE001 - an unknown name is the caller's error, said clearly
        raise ValidationError({"field_name": f"{model._meta.verbose_name} has no field "
                                             f"{field_name!r}."}) from None
    if not getattr(field, "concrete", False) or field.name in ("id", "version"):
        raise ValidationError({"field_name": "Choose a data field of the form."})
    return str(field.verbose_name).capitalize()


def query_open(*, actor, record, text, field_name="", check_code=""):
    """Open a query on ``record`` (optionally one field) with a first message."""
    text = _text(text)
    where = _record_where(record)
    site = _site(where.site_id)
    if not _is_system(actor):
        _require_any_role(actor, REVIEWER_ROLES, site,
                          "Only the site's monitors and the study's data managers raise queries.")
    model = type(record)
    label = _field_label(model, field_name)
    with transaction.atomic():
        query = audited_save(Query(
            site=site, patient_pk=where.patient_pk, visit_pk=where.visit_pk,
            patient_label=where.patient_label,
            record_type=ContentType.objects.get_for_model(model, for_concrete_model=False),
            record_id=record.pk, record_label=str(record)[:200], field_name=field_name,
            field_label=label, record_version=getattr(record, "version", 1), opened_by=actor,
            check_code=check_code,
        ), actor=actor)
        audited_save(QueryMessage(query=query, kind=QueryMessage.Kind.OPENED, text=text,
                                  author=actor), actor=actor)
    return query


def _last_version_seen(query):
    versions = [m.correction_version for m in query.messages.all() if m.correction_version]
    return max([query.record_version, *versions])


def query_answer(*, actor, query, text="", expected_version=None):
    """The site answers: a reply and/or a correction already saved on the record.

    A correction is the record's new version made since the query was opened (or last
    answered); the answer links to it and the trail shows it answered this query.
    """
    _require_any_role(actor, (Role.COORDINATOR, Role.INVESTIGATOR), query.site,
                      "Only the site's coordinators and investigators answer queries.")
    check_version(query, expected_version)
    if query.status != Query.Status.OPEN:
        raise ValidationError(f"This query is {query.get_status_display().lower()}: only an "
                              "open query is answered.")
    record = query.record
    version = getattr(record, "version", None)
    correction = version if version and version > _last_version_seen(query) else None
    text = (text or "").strip()
    if not text and correction is None:
        raise ValidationError({"text": "Write a reply, or correct the data first (with a reason "
                                       "for change) and then answer."})
    if not text:
        text = f"Data corrected (record version {correction})."
    _text(text)
    with transaction.atomic():
        audited_save(QueryMessage(query=query, kind=QueryMessage.Kind.ANSWERED, text=text,
                                  author=actor, correction_version=correction), actor=actor)
        query.status = Query.Status.ANSWERED
        return audited_save(query, actor=actor, reason="Answered by the site",
                            changed={"status"})


def query_close(*, actor, query, text="", expected_version=None):
    if not _is_system(actor):
        _require_any_role(actor, REVIEWER_ROLES, query.site,
                          "Only the site's monitors and the study's data managers close queries.")
    check_version(query, expected_version)
    if query.status == Query.Status.CLOSED:
        raise ValidationError("This query is already closed.")
    text = (text or "").strip() or "Closed."
    _text(text)
    with transaction.atomic():
        audited_save(QueryMessage(query=query, kind=QueryMessage.Kind.CLOSED, text=text,
                                  author=actor), actor=actor)
        query.status = Query.Status.CLOSED
        query.closed_at = timezone.now()
        return audited_save(query, actor=actor, reason=f"Closed: {text}"[:1000],
                            changed={"status", "closed_at"})


def query_reopen(*, actor, query, text, expected_version=None):
    text = _text(text, what="A message saying what is still needed")
    _require_any_role(actor, REVIEWER_ROLES, query.site,
                      "Only the site's monitors and the study's data managers re-open queries.")
    check_version(query, expected_version)
    if query.status == Query.Status.OPEN:
        raise ValidationError("This query is already open.")
    if query.is_automatic and query.status == Query.Status.CLOSED:
        raise ValidationError("An automatic query re-opens by itself when the data trip the "
                              "check again; raise a new query instead.")
    with transaction.atomic():
        audited_save(QueryMessage(query=query, kind=QueryMessage.Kind.REOPENED, text=text,
                                  author=actor), actor=actor)
        query.status = Query.Status.OPEN
        query.closed_at = None
        return audited_save(query, actor=actor, reason=f"Re-opened: {text}"[:1000],
                            changed={"status", "closed_at"})


# --- source data verification -----------------------------------------------------------------


def sdv_mark(*, actor, records):
    """Mark ``records`` verified at their current versions (a form, or every form of a visit).

    A mark stores the version it covered: a later change shows as "changed since SDV" with the
    change, until the monitor verifies again.
    """
    records = [r for r in records if not getattr(r, "is_voided", False)]
    if not records:
        raise ValidationError("Nothing to verify.")
    wheres = {}
    for record in records:
        wheres[(type(record), record.pk)] = _record_where(record)
    sites = {w.site_id for w in wheres.values()}
    if len(sites) != 1:
        raise ValidationError("Verify the records of one site at a time.")
    site = _site(sites.pop())
    _require_any_role(actor, (Role.MONITOR,), site,
                      "Only the site's monitors verify source data.")
    now = timezone.now()
    marks = []
    with transaction.atomic():
        for record in records:
            model = type(record)
            where = wheres[(model, record.pk)]
            content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
            mark = SdvMark.objects.filter(record_type=content_type, record_id=record.pk).first()
            if mark is None:
                mark = audited_save(SdvMark(
                    site=site, patient_pk=where.patient_pk, visit_pk=where.visit_pk,
                    patient_label=where.patient_label, record_type=content_type,
                    record_id=record.pk, record_label=str(record)[:200],
                    record_version=record.version, verified_by=actor, verified_at=now,
                ), actor=actor)
            elif mark.record_version != record.version:
                mark.record_version = record.version
                mark.verified_by = actor
                mark.verified_at = now
                mark = audited_save(mark, actor=actor,
                                    reason=f"Verified again at version {record.version}",
                                    changed={"record_version", "verified_by", "verified_at"})
            marks.append(mark)
    return marks


# --- casebook signature -----------------------------------------------------------------------


def casebook_manifest(patient_pk):
    """Every live record of the patient's casebook with its version (one query per form)."""
    manifest = []
    for model in registry.monitored_models():
        rows = scope_queryset(model, patient_pk=patient_pk).values_list("pk", "version")
        manifest.extend([model._meta.label, pk, version] for pk, version in rows)
    manifest.sort()
    return manifest


def casebook_sign(*, actor, patient, password):
    """The investigator signs the casebook (password re-entry); stores the digest signed."""
    where = where_of(patient)
    site = _site(where.site_id)
    if not access.has_role_at(actor, Role.INVESTIGATOR, site):
        raise PermissionDenied("Only an investigator of the patient's site signs the casebook.")
    esign.require_password(actor, password)
    manifest = casebook_manifest(patient.pk)
    content_hash = esign.digest(manifest)
    # Idempotent by content: a replayed or double-submitted signature of the same casebook
    # content by the same signer returns the signature already made (a unique constraint
    # settles two submissions racing each other).
    same = CasebookSignature.objects.active().filter(
        patient_pk=patient.pk, signer=actor, content_hash=content_hash)
    if (existing := same.first()) is not None:
        return existing
    try:
        with transaction.atomic():
            return audited_save(CasebookSignature(
                site=site, patient_pk=patient.pk, patient_label=where.patient_label,
                signer=actor, printed_name=actor.printed_name, signed_at=timezone.now(),
                meaning=CasebookSignature.MEANING, content_hash=content_hash,
                manifest=manifest,
            ), actor=actor)
    except (IntegrityError, ValidationError):
        if (existing := same.first()) is not None:
            return existing
        raise


# --- edit checks ------------------------------------------------------------------------------


def _checks_by_study():
    from trialsite.protocols import all_protocols

    return {p.code: p.edit_checks for p in all_protocols() if p.edit_checks}


def edit_checks_run(*, patient_pks=None):
    """Evaluate the protocol edit checks and sync the automatic queries, idempotently.

    A finding without a live query opens one (by the system user); a live automatic query whose
    finding is gone is closed by the system user with a message. ``patient_pks=None`` runs over
    every patient (the daily job): one fact query per source, one query for live queries.
    Returns ``(opened, closed)`` counts.
    """
    from trialsite.services import system_user

    facts = []
    for source in registry.edit_check_sources():
        facts.extend(source(patient_pks))
    findings = {}
    for finding in editchecks.evaluate(_checks_by_study(), facts):
        findings.setdefault((finding.record.model_label, finding.record.pk, finding.field,
                             finding.check_code), finding)
    automatic = Query.objects.exclude(check_code="")
    if patient_pks is not None:
        automatic = automatic.filter(patient_pk__in=list(patient_pks))
    live_keys, closed_at_version = {}, set()
    for query in automatic.select_related("record_type"):
        model = query.record_type.model_class()
        key = (model._meta.label, query.record_id, query.field_name, query.check_code)
        if query.status == Query.Status.CLOSED:
            # Closed by a reviewer while the data tripped the check: the same data do not
            # raise it again; a new version that still trips it does.
            closed_at_version.add((*key, query.record_version))
        else:
            live_keys[key] = query
    system = None
    opened = closed = 0
    with transaction.atomic():
        for key, finding in findings.items():
            if key in live_keys:
                continue
            model = apps.get_model(finding.record.model_label)
            record = model._base_manager.get(pk=finding.record.pk)
            if (*key, record.version) in closed_at_version:
                continue
            system = system or system_user()
            query_open(actor=system, record=record, text=finding.message,
                       field_name=finding.field, check_code=finding.check_code)
            opened += 1
        for key, query in live_keys.items():
            if key in findings:
                continue
            system = system or system_user()
            query_close(actor=system, query=query,
                        text="Closed automatically: the data no longer trip the edit check.")
            closed += 1
    return opened, closed
