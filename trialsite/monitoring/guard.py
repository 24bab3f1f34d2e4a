"""The lock guard: every audited write (save, bulk create/update, set-based update) passes here.

Installed by ``MonitoringConfig.ready()`` through ``trialsite.audit.register_write_guard``, so
a locked record refuses a change whatever path the write takes: page, API, service, admin,
job or shell. Set-based jobs (``audited_queryset_update``) leave locked rows out.
"""

from django.db import connections, router
from django.db.models import Q

from trialsite.audit import WriteRefused
from trialsite.monitoring import registry


def _unique(values):
    return tuple(dict.fromkeys(v for v in values if v is not None))


def _keys(model, instances, path):
    """The ids ``path`` starts from for ``instances``: as they are now in memory, and the
    primary keys of those already saved (whose stored scope is checked too, so moving a record
    out of a locked scope is refused as well)."""
    if path == "pk":
        return _unique(i.pk for i in instances), ()
    attname = model._meta.get_field(path.partition("__")[0]).attname
    return (_unique(getattr(i, attname) for i in instances),
            _unique(i.pk for i in instances if not i._state.adding))


def _values_for(model, path, ids, saved):
    """Values (or subqueries) of ``path`` for those ids."""
    if path == "pk":
        return [ids] if ids else []
    first, _, rest = path.partition("__")
    field = model._meta.get_field(first)
    out = []
    if ids:
        if rest:
            out.append(field.related_model._base_manager.filter(pk__in=ids).values(rest))
        else:
            out.append(ids)
    if saved:
        out.append(model._base_manager.filter(pk__in=saved).values(path))
    return out


def _lock_query(model, keys):
    """The first active lock (its pk) covering the records whose ``keys`` are given."""
    from trialsite.monitoring.models import Lock

    sources = {level: _values_for(model, path, ids, saved) for level, path, ids, saved in keys}
    return (Lock.objects.filter(unlocked_at__isnull=True).filter(_lock_filter(sources))
            .order_by("pk").values_list("pk", flat=True)[:1])


#: Stand-ins for ids when a query's SQL is compiled once per shape (ids are positive).
_STAND_IN = -7_000_000_000
_MAX_CACHED_VALUES = 16
_compiled = {}


def _compiled_query(model, keys):
    """SQL and a parameter plan for ``keys``' shape (the ORM builds it once per model, level
    and number of ids; building it costs more than running it)."""
    shape = (model._meta.label, tuple((level, len(ids), len(saved))
                                      for level, _, ids, saved in keys))
    if shape not in _compiled:
        counter = iter(range(_MAX_CACHED_VALUES * 3))
        stand_ins = [(level, path, tuple(_STAND_IN - next(counter) for _ in ids),
                      tuple(_STAND_IN - next(counter) for _ in saved))
                     for level, path, ids, saved in keys]
        sql, params = _lock_query(model, stand_ins).query.sql_with_params()
        plan = tuple(("value", _STAND_IN - p) if isinstance(p, int) and p <= _STAND_IN
                     else ("constant", p) for p in params)
        _compiled[shape] = (sql, plan)
    return _compiled[shape]


def _lock_filter(sources):
    """``Q`` over ``Lock`` matching active locks of the given site/patient/visit values."""
    from trialsite.monitoring.models import Lock

    q = Q()
    for level, column in ((Lock.Level.SITE, "site_id"), (Lock.Level.PATIENT, "patient_pk"),
                          (Lock.Level.VISIT, "visit_pk")):
        for values in sources.get(level, ()):
            q |= Q(level=level, **{f"{column}__in": values})
    return q


def _level_paths(scope):
    return {"site": scope.site, "patient": scope.patient, "visit": scope.visit}


def _any_active_lock(using):
    """Whether any lock is active at all: one small query, the common answer being no. (Only
    then is the record's scope looked up, which costs more than the rest of a save.)"""
    from trialsite.monitoring.models import Lock

    table = connections[using].ops.quote_name(Lock._meta.db_table)
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE unlocked_at IS NULL LIMIT 1")
        return cursor.fetchone() is not None


class LockGuard:
    def check(self, model, instances):
        from trialsite.monitoring.models import Lock

        scope = registry.scope_of(model)
        if scope is None or not instances:
            return
        using = router.db_for_write(model)
        if not _any_active_lock(using):
            return
        keys = [(level, path, *_keys(model, instances, path))
                for level, path in _level_paths(scope).items() if path]
        values = [v for _, _, ids, saved in keys for v in (*ids, *saved)]
        if not values:
            return
        if len(values) > _MAX_CACHED_VALUES:
            found = list(_lock_query(model, keys))
        else:
            sql, plan = _compiled_query(model, keys)
            params = [values[x] if kind == "value" else x for kind, x in plan]
            with connections[using].cursor() as cursor:
                cursor.execute(sql, params)
                found = [row[0] for row in cursor.fetchall()]
        if found:
            lock = Lock.objects.get(pk=found[0])
            raise WriteRefused(
                f"{lock.get_level_display()} {lock.target_label} is locked by the data manager "
                f"({lock.lock_reason}): no change can be saved until it is unlocked."
            )

    def narrow(self, queryset):
        from trialsite.monitoring.models import Lock

        model = queryset.model
        scope = registry.scope_of(model)
        if scope is None:
            return queryset
        active = Lock.objects.filter(unlocked_at__isnull=True)
        excluded = Q(**{f"{scope.site}__in" if scope.site != "pk" else "pk__in":
                        active.filter(level=Lock.Level.SITE).values("site_id")})
        excluded |= Q(**{f"{scope.patient}__in" if scope.patient != "pk" else "pk__in":
                         active.filter(level=Lock.Level.PATIENT).values("patient_pk")})
        if scope.visit:
            excluded |= Q(**{f"{scope.visit}__in" if scope.visit != "pk" else "pk__in":
                             active.filter(level=Lock.Level.VISIT).values("visit_pk")})
        return queryset.exclude(excluded)


LOCK_GUARD = LockGuard()
