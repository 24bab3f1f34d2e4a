"""The audit trail: the one base model every clinical record uses, and the helpers around it.

Rules enforced here, so that no page, API call, admin action or job can go around them
(21 CFR Part 11 §11.10(e), ICH E6(R3) 4.2):

- every save names its acting user (``_history_user``); an update also names its reason;
- a record is voided with a reason, never deleted;
- ``QuerySet.update()``, ``bulk_update()`` and ``delete()`` are refused, because
  django-simple-history records nothing for them; bulk writes go through ``bulk_update_audited``;
- every record carries a ``version``; a save from a stale version is refused with the changes
  that happened since, instead of silently overwriting them.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import capfirst
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

_bulk_writes_allowed = contextvars.ContextVar("trialsite_bulk_writes_allowed", default=False)

#: Fields every audited record has that are bookkeeping, not data: left out of change lists.
BOOKKEEPING_FIELDS = ("version", "created_at", "updated_at")


class AuditError(Exception):
    """A write that would escape the audit trail."""


class ReasonRequired(AuditError):
    """An update or void without a reason for change."""


class WriteRefused(ValidationError):
    """A write a registered write guard refuses (a locked record, for instance)."""


#: Guards every audited write passes through (see ``register_write_guard``).
_write_guards = []


def register_write_guard(guard):
    """Install ``guard`` on every audited write path.

    A guard has two methods: ``check(model, instances)`` raises ``WriteRefused`` if any of the
    instances (about to be created or updated) may not be written; ``narrow(queryset)`` returns
    the queryset without the rows that may not be written, for set-based jobs. Higher apps
    (monitoring's locks) register theirs in ``AppConfig.ready()``, so no page, service, admin
    action or job can write around them.
    """
    if guard not in _write_guards:
        _write_guards.append(guard)


def unregister_write_guard(guard):
    if guard in _write_guards:
        _write_guards.remove(guard)


def _check_guards(model, instances):
    for guard in _write_guards:
        guard.check(model, instances)


def _narrow_by_guards(queryset):
    for guard in _write_guards:
        queryset = guard.narrow(queryset)
    return queryset


class StaleVersion(Exception):
    """The record changed since the user loaded it; ``changes`` says how."""

    def __init__(self, instance, expected_version, changes):
        self.instance = instance
        self.expected_version = expected_version
        self.changes = changes
        who = ", ".join(sorted({c.user_label for c in changes})) or "another user"
        super().__init__(
            f"This record was changed by {who} after you opened it "
            f"(version {expected_version} → {instance.version}). Nothing of yours was saved; "
            "review their change and apply yours again."
        )


class AuditedQuerySet(models.QuerySet):
    """Reusable filters, and refusal of the writes that would skip the history."""

    def active(self):
        return self.filter(voided_at__isnull=True)

    def update(self, **kwargs):
        if not _bulk_writes_allowed.get():
            raise AuditError(
                f"{self.model.__name__}: QuerySet.update() records no history; "
                "save through the service, or use trialsite.audit.bulk_update_audited()."
            )
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        if not _bulk_writes_allowed.get():
            raise AuditError(
                f"{self.model.__name__}: bulk_update() records no history; "
                "use trialsite.audit.bulk_update_audited()."
            )
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def delete(self):
        raise AuditError(f"{self.model.__name__}: records are voided with a reason, never deleted.")

    delete.queryset_only = True


class AuditedManager(models.Manager.from_queryset(AuditedQuerySet)):
    pass


class AuditedModel(models.Model):
    """Base of every clinical record: history, version, void instead of delete."""

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    voided_at = models.DateTimeField(null=True, blank=True, editable=False)
    void_reason = models.TextField(blank=True, editable=False)

    objects = AuditedManager()
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if getattr(self, "_history_user", None) is None:
            raise AuditError(
                f"{type(self).__name__}: a save must name its acting user (_history_user)."
            )
        _check_guards(type(self), [self])
        if self._state.adding:
            super().save(*args, **kwargs)
            return
        if not (getattr(self, "_change_reason", "") or "").strip():
            raise ReasonRequired("A reason for change is required.")
        # Optimistic concurrency: the UPDATE only matches the row at the version this instance
        # was loaded at, so a save from a stale copy can never overwrite a newer one.
        expected = self.version
        self._expected_version = expected
        self.version = expected + 1
        kwargs.setdefault("force_update", True)
        try:
            super().save(*args, **kwargs)
        except StaleVersion:
            self.version = expected
            raise
        finally:
            self._expected_version = None

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update,
                   returning_fields):
        expected = getattr(self, "_expected_version", None)
        if expected is not None:
            base_qs = base_qs.filter(version=expected)
        updated = super()._do_update(
            base_qs, using, pk_val, values, update_fields, forced_update, returning_fields
        )
        if not updated and expected is not None:
            # Read what happened while still inside the transaction, before Django marks it
            # for rollback; the caller's atomic block then undoes everything.
            current = type(self)._base_manager.using(using).get(pk=pk_val)
            raise StaleVersion(current, expected, changes_since(current, expected))
        return updated

    def delete(self, *args, **kwargs):
        raise AuditError(f"{type(self).__name__}: records are voided with a reason, never deleted.")

    @property
    def is_voided(self):
        return self.voided_at is not None


# --- writing -----------------------------------------------------------------------------------


def audited_save(instance, *, actor, reason=None, changed=None):
    """Validate and save ``instance`` as ``actor``; an existing record needs a ``reason``.

    ``changed`` names the fields an update touched: only they (and the uniqueness and
    constraints that involve them) are validated again, since the rest was valid when saved and
    the database still enforces every constraint.
    """
    instance._history_user = actor
    if reason is not None:
        instance._change_reason = reason.strip()
    if not instance._state.adding and not (getattr(instance, "_change_reason", "") or ""):
        raise ValidationError({"reason": "A reason for change is required."})
    exclude = None
    if changed is not None and not instance._state.adding:
        exclude = [f.name for f in instance._meta.concrete_fields if f.name not in set(changed)]
    instance.full_clean(exclude=exclude)
    instance.save()
    return instance


def check_version(instance, expected_version):
    """Refuse early, with the changes since, if ``instance`` moved past ``expected_version``.

    The save itself checks again (a conditional UPDATE), so a race between this check and the
    save is refused too.
    """
    if expected_version is None:
        return
    expected_version = int(expected_version)
    if instance.version != expected_version:
        raise StaleVersion(instance, expected_version, changes_since(instance, expected_version))


def record_update(instance, *, actor, expected_version, reason, changes):
    """Apply ``changes`` (field → value) to ``instance``, audited, if the version still holds.

    Returns the saved instance. Raises ``StaleVersion`` if somebody saved in between, and
    ``ValidationError`` for bad values; in both cases nothing is written.
    """
    check_version(instance, expected_version)
    with transaction.atomic():
        for field, value in changes.items():
            setattr(instance, field, value)
        return audited_save(instance, actor=actor, reason=reason, changed=changes)


def record_void(instance, *, actor, reason, expected_version=None):
    """Void a record with a reason: it stays, marked, for monitors and the trail."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "A reason is required to void a record."})
    check_version(instance, expected_version)
    if instance.is_voided:
        raise ValidationError("This record is already voided.")
    with transaction.atomic():
        instance.voided_at = timezone.now()
        instance.void_reason = reason.strip()
        return audited_save(
            instance, actor=actor, reason=f"Voided: {reason.strip()}",
            changed={"voided_at", "void_reason"},
        )


@contextmanager
def _bulk_writes():
    token = _bulk_writes_allowed.set(True)
    try:
        yield
    finally:
        _bulk_writes_allowed.reset(token)


def bulk_create_audited(model, objs, *, actor, reason=None, batch_size=500):
    """Create many records in a few statements, each with its history row."""
    _check_guards(model, objs)
    return bulk_create_with_history(
        objs, model, batch_size=batch_size, default_user=actor, default_change_reason=reason
    )


def bulk_update_audited(model, objs, fields, *, actor, reason, batch_size=500):
    """Update many records in a few statements, each with its history row and reason."""
    if not (reason or "").strip():
        raise ReasonRequired("A reason for change is required.")
    _check_guards(model, objs)
    for obj in objs:
        obj.version += 1
    fields = list(dict.fromkeys([*fields, "version", "updated_at"]))
    now = timezone.now()
    for obj in objs:
        obj.updated_at = now
    with _bulk_writes():
        return bulk_update_with_history(
            objs, model, fields, batch_size=batch_size, default_user=actor,
            default_change_reason=reason,
        )


def audited_queryset_update(queryset, *, actor, reason, **values):
    """Update every row ``queryset`` selects and write each row's history, in two statements.

    The set-based write for jobs over many rows (a daily flag over a million visits): one
    ``UPDATE … WHERE`` that also bumps ``version`` and stamps ``updated_at`` with this call's
    time, then one ``INSERT INTO <history> SELECT … WHERE updated_at = <that time>``, so the
    number of queries does not grow with the number of rows. Returns the number of rows.
    Rows a write guard protects (locked records) are left out, untouched.
    """
    if not (reason or "").strip():
        raise ReasonRequired("A reason for change is required.")
    queryset = _narrow_by_guards(queryset)
    model = queryset.model
    history_model = model.history.model
    now = timezone.now()
    with transaction.atomic():
        with _bulk_writes():
            count = queryset.update(
                **values, version=models.F("version") + 1, updated_at=now
            )
        if count:
            connection = transaction.get_connection(queryset.db)
            quote = connection.ops.quote_name
            columns = [f.column for f in model._meta.concrete_fields]
            history_columns = [
                *columns, "history_date", "history_change_reason", "history_type",
                "history_user_id",
            ]
            sql = (
                f"INSERT INTO {quote(history_model._meta.db_table)} "
                f"({', '.join(quote(c) for c in history_columns)}) "
                f"SELECT {', '.join(quote(c) for c in columns)}, %s, %s, %s, %s "
                f"FROM {quote(model._meta.db_table)} WHERE {quote('updated_at')} = %s"
            )
            field = model._meta.get_field("updated_at")
            stamp = field.get_db_prep_value(now, connection)
            with connection.cursor() as cursor:
                cursor.execute(sql, [field.get_db_prep_value(now, connection), reason.strip(),
                                     "~", actor.pk, stamp])
    return count


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    """One version of one record, as the trail shows it."""

    record: object
    action: str  # created / changed / voided
    version: int
    at_utc: object
    at_local: object
    time_zone: str
    user_label: str
    reason: str
    changes: tuple[FieldChange, ...]


def _display(field, value):
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _user_label(historical):
    user = historical.history_user
    if user is None:
        return "unknown"
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


def with_parents(model, depth=3):
    """``model``'s rows with their required parents joined, transitively up to ``depth``
    levels: a record's name often shows its parent's (a sample names its visit, which names its
    patient), and naming many records must not cost a query per record."""

    def paths(current, prefix, level, seen):
        for field in current._meta.concrete_fields:
            related = field.related_model
            if not field.is_relation or field.null or related in seen:
                continue
            path = f"{prefix}{field.name}"
            yield path
            if level > 1:
                yield from paths(related, f"{path}__", level - 1, seen | {related})

    joined = list(paths(model, "", depth, {model}))
    qs = model._base_manager.all()
    return qs.select_related(*joined) if joined else qs


def _foreign_labels(model, rows):
    """``{field name: {id: label}}`` for the foreign keys in ``rows``: one query per key field."""
    labels = {}
    for field in model._meta.concrete_fields:
        if not field.is_relation or field.name in BOOKKEEPING_FIELDS:
            continue
        ids = {getattr(row, field.attname) for row in rows} - {None}
        if ids:
            related = with_parents(field.related_model).in_bulk(ids)
            labels[field.name] = {pk: str(obj) for pk, obj in related.items()}
    return labels


def _changes(model, new, old, foreign_labels, redact=None):
    out = []
    redact = redact or {}
    for field in model._meta.concrete_fields:
        if field.name in BOOKKEEPING_FIELDS or field.primary_key:
            continue
        attname = field.attname
        if not hasattr(new, attname):
            continue  # a field the history leaves out (an account's password hash)
        new_value = getattr(new, attname)
        old_value = getattr(old, attname) if old is not None else None
        if old is not None and new_value == old_value:
            continue
        if old is None and new_value in (None, ""):
            continue
        if field.name == "voided_at" and old is None:
            continue
        if field.name in redact:
            label, shown = redact[field.name]
            out.append(FieldChange(field=field.name, label=label,
                                   old="" if old is None else str(shown(old)),
                                   new=str(shown(new))))
            continue
        if field.name in foreign_labels:
            names = foreign_labels[field.name]
            new_shown = names.get(new_value, new_value)
            old_shown = names.get(old_value, old_value) if old is not None else ""
        else:
            new_shown = _display(field, new_value)
            old_shown = "" if old is None else _display(field, old_value)
        out.append(
            FieldChange(
                field=field.name,
                label=capfirst(str(field.verbose_name)),
                old=old_shown if old_shown is not None else "—",
                new=new_shown if new_shown is not None else "—",
            )
        )
    return tuple(out)


def history_entries(historical_records, *, time_zone="UTC", foreign_labels=None, redact=None):
    """Turn historical rows of one record (any order) into entries, newest first, with diffs.

    Diffs are computed in Python against the previous version, so one query loads a whole trail.
    ``redact`` maps a field to ``(label, function of a history row)``: that field is shown
    through the function (a sponsor sees an age where the row holds a birth date).
    """
    rows = sorted(historical_records, key=lambda h: (h.history_date, h.history_id))
    if not rows:
        return []
    model = rows[0].instance_type
    if foreign_labels is None:
        foreign_labels = _foreign_labels(model, rows)
    tz = ZoneInfo(time_zone)
    entries = []
    previous = None
    for row in rows:
        if row.history_type == "+":
            action = "created"
        elif (previous is not None and getattr(previous, "voided_at", None) is None
              and getattr(row, "voided_at", None) is not None):
            action = "voided"
        elif row.history_type == "-":
            action = "deleted"
        else:
            action = "changed"
        entries.append(
            HistoryEntry(
                record=row,
                action=action,
                version=getattr(row, "version", None),
                at_utc=row.history_date.astimezone(ZoneInfo("UTC")),
                at_local=row.history_date.astimezone(tz),
                time_zone=time_zone,
                user_label=_user_label(row),
                reason=row.history_change_reason or "",
                changes=_changes(model, row, previous, foreign_labels, redact),
            )
        )
        previous = row
    entries.reverse()
    return entries


def history_entries_of_many(historical_records, *, time_zone="UTC"):
    """Entries of many records of one model, newest first, with one query per foreign key.

    ``historical_records`` must hold every version of each record it covers (the diffs compare
    each version with the one before). ``time_zone`` is a name, or a function of a row.
    """
    rows = list(historical_records)
    if not rows:
        return []
    model = rows[0].instance_type
    labels = _foreign_labels(model, rows)
    by_record = {}
    for row in rows:
        by_record.setdefault(row.id, []).append(row)
    entries = []
    for record_rows in by_record.values():
        zone = time_zone(record_rows[0]) if callable(time_zone) else time_zone
        entries.extend(history_entries(record_rows, time_zone=zone, foreign_labels=labels))
    entries.sort(key=lambda e: (e.record.history_date, e.record.history_id), reverse=True)
    return entries


def history_diff(row, previous, *, time_zone="UTC", foreign_labels=None):
    """The entry of one history ``row`` against the ``previous`` version (None: a creation)."""
    rows = [r for r in (previous, row) if r is not None]
    entries = history_entries(rows, time_zone=time_zone, foreign_labels=foreign_labels)
    return entries[0]


def foreign_labels_of(model, rows):
    """``{field: {id: label}}`` of ``rows``' foreign keys, for ``history_entries``."""
    return _foreign_labels(model, rows)


def changes_since(instance, version):
    """What changed on ``instance`` after ``version``: one entry per later version."""
    rows = list(
        instance.history.filter(version__gte=int(version)).select_related("history_user")
    )
    return [e for e in history_entries(rows) if e.version > int(version)]
