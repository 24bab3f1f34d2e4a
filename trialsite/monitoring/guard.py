"""The lock guard: every audited write (save, bulk create/update, set-based update) passes here.

Installed by ``MonitoringConfig.ready()`` through ``trialsite.audit.register_write_guard``, so
a locked record refuses a change whatever path the write takes: page, API, service, admin,
job or shell. Set-based jobs (``audited_queryset_update``) leave locked rows out.
"""

from django.db import connections, router
from django.db.models import Q

from trialsite.audit import WriteRefused
from trialsite.monitoring import registry


def _values_for(model, instances, path):
    """Values (or subqueries) of ``path`` for ``instances``: as they are now in memory, and as
    stored for those already saved, so moving a record out of a locked scope is refused too."""
    if path == "pk":
        return [[i.pk for i in instances if i.pk is not None]]
    first, _, rest = path.partition("__")
    field = model._meta.get_field(first)
    ids = [getattr(i, field.attname) for i in instances]
    ids = [i for i in ids if i is not None]
    out = []
    if ids:
        if rest:
            related = field.related_model
            out.append(related._base_manager.filter(pk__in=ids).values(rest))
        else:
            out.append(ids)
    saved = [i.pk for i in instances if i.pk is not None and not i._state.adding]
    if saved:
        out.append(model._base_manager.filter(pk__in=saved).values(path))
    return out


def _lock_filter(scope, sources):
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
        if not _any_active_lock(router.db_for_write(model)):
            return
        sources = {level: _values_for(model, instances, path)
                   for level, path in _level_paths(scope).items() if path}
        q = _lock_filter(scope, sources)
        if not q:
            return
        lock = Lock.objects.filter(unlocked_at__isnull=True).filter(q).first()
        if lock is not None:
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
