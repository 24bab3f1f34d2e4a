"""One data cut for exports that read the database many times (the ODM file, packages).

A CSV or NDJSON dataset is one query, which PostgreSQL answers from one snapshot anyway. The ODM
file reads per chunk of subjects and a package reads every dataset in turn: without a common
snapshot, a change committed meanwhile would be in some files or chunks and not in others.
``snapshot()`` runs the reads in a ``REPEATABLE READ, READ ONLY`` transaction, so every query
sees the database as it was at the first one.

Inside a transaction already open (a caller's, or a test's), that transaction's view is kept:
a snapshot cannot be taken half-way through one. SQLite, the embedded single-user database, has
no snapshot here: its exports read as before.
"""

import threading
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from trialsite.db_router import export_reads


@contextmanager
def snapshot():
    """Yields the time of the snapshot the reads inside share, or None when they share none of
    their own (SQLite, or inside a transaction already open).

    The reads go to the streaming replica when one is configured (``trialsite.db_router``)."""
    with export_reads() as using:
        connection = connections[using]
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            yield None
            return
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                # The first query takes the snapshot: this one, so its time is the data cut.
                cursor.execute("SELECT clock_timestamp()")
                (taken_at,) = cursor.fetchone()
            yield taken_at


def run_outside(function, using=DEFAULT_DB_ALIAS):
    """``function()`` on a connection of its own, committed at once (a job's progress while
    it reads in a snapshot: visible to the user who polls it, not held back until the end)."""
    outcome = {}

    def target():
        try:
            outcome["value"] = function()
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc
        finally:
            connections[using].close()

    thread = threading.Thread(target=target, name="export-progress")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
