"""Backups are proven by restoring them: back up a database full of audited data, destroy it,
restore the dump into a new database with scripts/restore.sh, and find every row count and every
audit trail row as they were. A restored database that differs is reported, table by table."""

import json
import os
import subprocess

import psycopg
import pytest
from psycopg import sql

from tests.trialsite.conftest import ROOT, manage

PATIENTS = """
from tests.factories import register_patient
from trialsite.models import Site
for site in Site.objects.order_by("id")[:2]:
    for _ in range(3):
        register_patient(site)
"""


def _state(conn):
    """Row counts of every table, and every history row as text: an independent reading."""
    tables = [t for (t,) in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
    counts = {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t)))
              .fetchone()[0] for t in tables}
    history = {t: conn.execute(sql.SQL("SELECT h::text FROM {} h ORDER BY history_id")
                               .format(sql.Identifier(t))).fetchall()
               for t in tables if "historical" in t}
    return counts, history


def _connect(r, user, password, database):
    return psycopg.connect(host=r["host"], port=r["port"], user=user, password=password,
                           dbname=database, autocommit=True)


@pytest.mark.postgres
def test_backup_destroy_restore_and_verify(two_roles, tmp_path):
    r = two_roles
    urls = {"database_url": r["app_url"], "owner_url": r["owner_url"]}
    manage("setup_database_roles", **urls)
    manage("migrate", "--no-input", **urls)
    # Studies, sites and patients registered by the application role, with their audit trail.
    manage("load_protocols", database_url=r["app_url"])
    manage("shell", "-c", PATIENTS, database_url=r["app_url"])
    with _connect(r, r["owner"], "owner-pw", r["database"]) as before:
        counts, history = _state(before)
    assert counts["enrollment_patient"] == 6
    assert sum(len(rows) for rows in history.values()) > 20

    backups = tmp_path / "backups"
    out = manage("backup_database", str(backups), **urls)
    assert "audit trail tables" in out
    [dump] = backups.glob("*.dump")
    saved = json.loads(dump.with_name(dump.name.replace(".dump", ".manifest.json")).read_text())
    assert saved["row_counts"] == counts

    # The disaster: the database is gone.
    with psycopg.connect(host=r["host"], port=r["port"], user="postgres", dbname="postgres",
                         autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(
            sql.Identifier(r["database"])))

    restored = f"{r['database']}_restored"
    r["extra_databases"].append(restored)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DATABASE_OWNER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(PGHOST=r["host"], PGPORT=str(r["port"]), PGUSER=r["owner"],
               PGPASSWORD="owner-pw")
    result = subprocess.run(["bash", "scripts/restore.sh", str(dump), restored], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dump checksum ok" in result.stdout
    assert "restore verified" in result.stdout

    with _connect(r, r["owner"], "owner-pw", restored) as after:
        assert _state(after) == (counts, history)
        # The append-only triggers came back with the tables.
        guarded = after.execute("SELECT count(DISTINCT tgrelid) FROM pg_trigger "
                                "WHERE tgname = 'trialsite_history_append_only'").fetchone()[0]
        assert guarded == len(history)

        # A restored audit trail that differs from the backup is caught and located.
        table = "enrollment_historicalpatient"
        after.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER trialsite_history_append_only")
                      .format(sql.Identifier(table)))
        after.execute(sql.SQL("UPDATE {} SET history_change_reason = 'edited' WHERE history_id "
                              "= (SELECT min(history_id) FROM {})")
                      .format(sql.Identifier(table), sql.Identifier(table)))
    manifest = dump.with_name(dump.name.replace(".dump", ".manifest.json"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_OWNER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env["DATABASE_URL"] = (f"postgres://{r['owner']}:owner-pw@{r['host']}:{r['port']}/"
                           f"{restored}")
    check = subprocess.run([".venv/bin/python", "manage.py", "verify_restore", str(manifest)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 1
    assert f"audit_trail_sha256 {table}" in check.stderr
