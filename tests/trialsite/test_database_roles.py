"""Least privilege on PostgreSQL: the schema's owner migrates, the application's role cannot
tamper with the audit trail by any route (TRUNCATE, disabling the trigger, the replication
role, rewriting or deleting rows), and the application still works under it.

Everything runs for real: a fresh database and two fresh roles on this machine's PostgreSQL,
``setup_database_roles`` and ``migrate`` as the owner, then the app (``load_protocols``) and the
tamper attempts as the application role.
"""

import os
import subprocess
import sys

import psycopg
import pytest
from psycopg import errors

from tests.trialsite.conftest import ROOT, manage

HISTORY = "trialsite_historicalstudy"


TAMPERING = [
    ("TRUNCATE", f"TRUNCATE {HISTORY}"),
    ("disable the trigger", f"ALTER TABLE {HISTORY} DISABLE TRIGGER trialsite_history_append_only"),
    ("disable every trigger", f"ALTER TABLE {HISTORY} DISABLE TRIGGER ALL"),
    ("replication role", "SET session_replication_role = replica"),
    ("rewrite a row", f"UPDATE {HISTORY} SET history_change_reason = 'rewritten'"),
    ("delete a row", f"DELETE FROM {HISTORY}"),
    ("drop the table", f"DROP TABLE {HISTORY}"),
    ("create a table", "CREATE TABLE trialsite_shadow (id int)"),
    ("drop the trigger", f"DROP TRIGGER trialsite_history_append_only ON {HISTORY}"),
]


@pytest.mark.postgres
def test_the_app_role_cannot_tamper_with_the_audit_trail_and_the_app_works(two_roles):
    r = two_roles
    # Deploy as docs/deployment.md says: roles, then migrate, both as the owner.
    out = manage("setup_database_roles", database_url=r["app_url"], owner_url=r["owner_url"])
    assert f"application role {r['app']}: created" in out
    manage("migrate", "--no-input", database_url=r["app_url"], owner_url=r["owner_url"])
    # Idempotent: a second run at the next deploy changes nothing and does not fail.
    assert "exists" in manage("setup_database_roles", database_url=r["app_url"],
                              owner_url=r["owner_url"])

    # The application, as its own role only: it saves records and their history rows.
    manage("load_protocols", database_url=r["app_url"])
    app = psycopg.connect(host=r["host"], port=r["port"], user=r["app"], password="app-pw",
                          dbname=r["database"], autocommit=True)
    studies = app.execute(f"SELECT count(*) FROM {HISTORY}").fetchone()[0]
    assert studies >= 2, "saving a study wrote its audit trail rows"
    assert app.execute("SELECT count(*) FROM trialsite_study").fetchone()[0] >= 2

    # What the role is: not a superuser, owns no table.
    assert app.execute("SHOW is_superuser").fetchone()[0] == "off"
    assert app.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user"
                       ).fetchone()[0] == 0

    refused = {}
    for route, statement in TAMPERING:
        with pytest.raises(errors.InsufficientPrivilege):
            app.execute(statement)
        refused[route] = True
    assert set(refused) == {route for route, _ in TAMPERING}
    # Nothing changed: the same history rows, and the trigger still on.
    assert app.execute(f"SELECT count(*) FROM {HISTORY}").fetchone()[0] == studies
    assert app.execute(f"SELECT count(*) FROM {HISTORY} WHERE history_change_reason = 'rewritten'"
                       ).fetchone()[0] == 0
    app.close()

    owner = psycopg.connect(host=r["host"], port=r["port"], user=r["owner"],
                            password="owner-pw", dbname=r["database"], autocommit=True)
    enabled = owner.execute(
        "SELECT tgenabled FROM pg_trigger WHERE tgname = 'trialsite_history_append_only' "
        "AND tgrelid = %s::regclass", [HISTORY]).fetchone()
    assert enabled == ("O",)
    # Every history table: INSERT and SELECT for the app, never UPDATE, DELETE or TRUNCATE.
    rows = owner.execute(
        "SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type) "
        "FROM information_schema.role_table_grants WHERE grantee = %s "
        "AND table_name LIKE '%%historical%%' GROUP BY table_name", [r["app"]]).fetchall()
    assert rows and all(privileges == "INSERT,SELECT" for _, privileges in rows), rows
    # Ordinary tables: read and write, never TRUNCATE.
    truncatable = owner.execute(
        "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = %s "
        "AND privilege_type = 'TRUNCATE'", [r["app"]]).fetchone()[0]
    assert truncatable == 0
    owner.close()


@pytest.mark.postgres
def test_setup_refuses_an_app_role_that_is_the_owner(two_roles):
    r = two_roles
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DATABASE_URL=r["owner_url"], DATABASE_OWNER_URL=r["owner_url"])
    result = subprocess.run([sys.executable, "manage.py", "setup_database_roles"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "give DATABASE_URL a role of its own" in result.stderr
