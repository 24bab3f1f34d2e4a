"""Two PostgreSQL roles: the owner of the schema, and the application's least-privilege role.

Part 11 §11.10(e) wants an audit trail the application cannot alter. The trigger of
``history_guard`` refuses UPDATE and DELETE on history rows whatever the role, but a role that
owns a table can still TRUNCATE it, disable its trigger, or (as a superuser) switch triggers off
with ``session_replication_role = replica``. So the web and worker processes connect as an
application role that:

* owns nothing and is not a superuser (no ALTER TABLE, no DISABLE TRIGGER, no replication role);
* may SELECT/INSERT/UPDATE/DELETE ordinary tables, never TRUNCATE them;
* may only SELECT and INSERT on history tables;
* cannot create anything in the schema.

The owner role (``DATABASE_OWNER_URL``, alias ``owner``) runs ``migrate``; every migrate re-applies
these grants (``post_migrate``), and default privileges cover tables a later migration creates.
``manage.py setup_database_roles`` creates the application role if it does not exist and applies
the same grants; it is idempotent.
"""

from django.db import connections
from psycopg import sql

from trialsite.history_guard import historical_models

#: Tables the application only reads (Django's migration record).
READ_ONLY_TABLES = ("django_migrations",)


class RoleError(Exception):
    pass


def app_role_name():
    return connections["default"].settings_dict["USER"]


def _quote(name):
    return sql.Identifier(name)


def _role_exists(cursor, role):
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    return cursor.fetchone() is not None


def create_app_role(cursor, role, password):
    """Create the login role if missing (the owner needs CREATEROLE, or run it as a superuser).
    Returns True when created."""
    if _role_exists(cursor, role):
        return False
    statement = sql.SQL(
        "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    ).format(_quote(role))
    if password:
        statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
    cursor.execute(statement)
    return True


def check_app_role(cursor, role, owner):
    """Refuse a setup where the application would keep the powers it must not have."""
    if role == owner:
        raise RoleError(
            f"the application role and the owner role are both {role!r}: give DATABASE_URL a "
            "role of its own (docs/deployment.md, 'Database roles')")
    cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
    row = cursor.fetchone()
    if row is None:
        raise RoleError(f"the application role {role!r} does not exist")
    if row[0] or row[1]:
        raise RoleError(f"the application role {role!r} is a superuser or bypasses RLS")
    cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                   "AND tableowner = %s", [role])
    if cursor.fetchone()[0]:
        raise RoleError(f"the application role {role!r} owns tables: reassign them to the owner "
                        f"(REASSIGN OWNED BY {role} TO {owner})")


def grant_app_role(using="owner", role=None):
    """Apply the application role's privileges on the database behind ``using`` (run as the
    owner of the tables). Idempotent."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    role = role or app_role_name()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        owner, database = cursor.fetchone()
        check_app_role(cursor, role, owner)
        app = _quote(role)
        tables = set(connection.introspection.table_names(cursor))
        history = {m._meta.db_table for m in historical_models()} & tables
        statements = [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(_quote(database), app),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(app),
            sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC, {}").format(app),
            sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(app),
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}")
            .format(app),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(app),
            # Tables and sequences that later migrations create.
            sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}")
            .format(_quote(owner), app),
            sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
                    "GRANT USAGE, SELECT ON SEQUENCES TO {}").format(_quote(owner), app),
        ]
        for table in sorted(history):
            statements.append(sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}")
                              .format(_quote(table), app))
        for table in READ_ONLY_TABLES:
            if table in tables:
                statements.append(sql.SQL("REVOKE INSERT, UPDATE, DELETE ON {} FROM {}")
                                  .format(_quote(table), app))
        for statement in statements:
            cursor.execute(statement)


def grant_after_migrate(sender=None, using="default", **kwargs):
    """post_migrate: a migrate run as the owner re-applies the application role's grants
    (once, at the signal for this app: every table exists by then)."""
    if getattr(sender, "name", None) != "trialsite":
        return
    if using == "owner" and connections[using].vendor == "postgresql":
        grant_app_role(using=using)
