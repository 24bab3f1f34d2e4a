"""Backups that can be checked: a ``pg_dump`` of one snapshot plus a manifest of that snapshot.

``backup(dir)`` opens a REPEATABLE READ transaction, exports its snapshot, counts the rows of every
table and takes a digest of every history table (the audit trail) in it, and runs ``pg_dump
--snapshot`` on the same snapshot: the manifest describes exactly what the dump holds. The files of
the shared store (data packages) are copied beside it through the storage API (folder or S3).
``manifest()`` on a restored database must equal the manifest saved with the dump
(``manage.py verify_restore``).
"""

import hashlib
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.db import connections
from psycopg import sql

from trialsite import files
from trialsite.history_guard import historical_models


def _tables(cursor):
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                   "ORDER BY tablename")
    return [row[0] for row in cursor.fetchall()]


def manifest(cursor):
    """Row counts of every table and a SHA-256 of every history table's rows, in id order."""
    history = {m._meta.db_table for m in historical_models()}
    counts, digests = {}, {}
    for table in _tables(cursor):
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = cursor.fetchone()[0]
        if table in history:
            digest = hashlib.sha256()
            cursor.execute(sql.SQL("SELECT t::text FROM {} AS t ORDER BY history_id")
                           .format(sql.Identifier(table)))
            for (row,) in cursor:
                digest.update(row.encode())
                digest.update(b"\n")
            digests[table] = digest.hexdigest()
    return {"row_counts": counts, "audit_trail_sha256": digests}


def _libpq_env(settings):
    env = {**os.environ, "PGHOST": settings["HOST"] or "127.0.0.1",
           "PGPORT": str(settings["PORT"] or 5432), "PGUSER": settings["USER"] or "",
           "PGDATABASE": settings["NAME"]}
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    return env


def _copy_store(target: Path, storage, prefix=""):
    copied = 0
    try:
        directories, names = storage.listdir(prefix)
    except FileNotFoundError:  # a folder store nothing was ever written to
        return 0
    for name in names:
        path = f"{prefix}{name}"
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        with storage.open(path, "rb") as source, open(target / path, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        copied += 1
    for directory in directories:
        copied += _copy_store(target, storage, f"{prefix}{directory}/")
    return copied


def backup(directory, using=None):
    """Write ``<stamp>.dump``, ``<stamp>.manifest.json`` and ``<stamp>.files/`` in directory;
    returns the manifest (with the file names)."""
    using = using or ("owner" if "owner" in connections.settings else "default")
    connection = connections[using]
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("trialsite-%Y%m%dT%H%M%SZ")
    dump = directory / f"{stamp}.dump"
    connection.ensure_connection()
    raw = connection.connection
    saved_autocommit = raw.autocommit
    raw.autocommit = False
    try:
        with raw.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), clock_timestamp()")
            snapshot_id, taken_at = cursor.fetchone()
            result = manifest(cursor)
            subprocess.run(["pg_dump", "--format=custom", f"--snapshot={snapshot_id}",
                            f"--file={dump}"], env=_libpq_env(connection.settings_dict),
                           check=True, capture_output=True, text=True)
        raw.rollback()
    finally:
        raw.autocommit = saved_autocommit
    result["taken_at"] = taken_at.isoformat()
    result["dump"] = dump.name
    result["dump_sha256"] = files.sha256_of(dump)
    store_copy = directory / f"{stamp}.files"
    result["files"] = _copy_store(store_copy, files.storage())
    (directory / f"{stamp}.manifest.json").write_text(json.dumps(result, indent=2,
                                                                 sort_keys=True))
    return result


def compare(expected, actual):
    """Differences between a saved manifest and a restored database's (empty: identical)."""
    problems = []
    for key in ("row_counts", "audit_trail_sha256"):
        want, got = expected[key], actual[key]
        for table in sorted(set(want) | set(got)):
            if want.get(table) != got.get(table):
                problems.append(f"{key} {table}: backup {want.get(table)!r}, "
                                f"restored {got.get(table)!r}")
    return problems
