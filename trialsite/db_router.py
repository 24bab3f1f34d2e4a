"""Exports read from a PostgreSQL streaming replica when one is configured.

A data package or an ODM file of a large study reads every row of every table for a minute or
more. With ``DATABASE_REPLICA_URL`` set (alias ``replica``), those reads go to the replica and
leave the primary to the people entering data. Only reads made inside ``export_reads()`` move:
everything else, and every write, stays on the primary, so a page never shows data older than
what its user just saved. A replica is never migrated (it follows the primary), and the
``owner`` alias is the same database as ``default`` under the role that owns the schema.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
OWNER = "owner"

_exporting = ContextVar("trialsite_export_reads", default=False)


def export_alias():
    """The alias exports read from: the replica when configured, else the primary."""
    return REPLICA if REPLICA in connections.settings else DEFAULT_DB_ALIAS


@contextmanager
def export_reads():
    """Reads inside go to ``export_alias()``."""
    token = _exporting.set(True)
    try:
        yield export_alias()
    finally:
        _exporting.reset(token)


class ExportReplicaRouter:
    def db_for_read(self, model, **hints):
        if _exporting.get() and REPLICA in connections.settings:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        # The aliases are one database (owner) or a copy of it (replica).
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None
