"""Make history rows append-only in the database itself (PostgreSQL).

The application never edits history, but "never" must hold for SQL too: a trigger on every
historical table refuses UPDATE and DELETE, whatever role runs the statement. It is installed after
every ``migrate`` for every history table that exists, so a model added later is covered without
anyone remembering to add a migration for it. (TRUNCATE is DDL, left to the database owner.)
"""

from django.apps import apps
from django.db import connections

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION trialsite_history_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit trail rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

TRIGGER_SQL = """
CREATE OR REPLACE TRIGGER trialsite_history_append_only
BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION trialsite_history_is_append_only();
"""


def historical_models():
    """Every django-simple-history model in the project."""
    return [
        m for m in apps.get_models() if hasattr(m, "instance_type") and hasattr(m, "history_id")
    ]


def install_history_guards(sender=None, using="default", **kwargs):
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute(FUNCTION_SQL)
        for model in historical_models():
            table = model._meta.db_table
            if table in existing:
                cursor.execute(TRIGGER_SQL.format(table=connection.ops.quote_name(table)))


def guarded_tables(using="default"):
    """History tables that carry the append-only trigger (PostgreSQL)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_object_table FROM information_schema.triggers "
            "WHERE trigger_name = 'trialsite_history_append_only' "
            "GROUP BY event_object_table HAVING count(*) = 2"
        )
        return {row[0] for row in cursor.fetchall()}
