"""One run at a time for the daily jobs, whatever the number of workers or beats.

Two overlapping runs of a job (a beat restarted, a task redelivered after a worker died, a run
by hand) must not flag an item twice: each job runs in one transaction that first takes a
PostgreSQL advisory lock named after the job (``pg_advisory_xact_lock``). A second run waits for
the first to commit, then finds everything already flagged and changes nothing (the jobs are
idempotent when they run one after the other). The lock is released at commit or rollback, so
a crashed run never leaves it held. SQLite (the embedded mode) has one writer at a time anyway.
"""

from contextlib import contextmanager

from django.db import connections, transaction


@contextmanager
def exclusive_job(name, *, using="default"):
    """Run the body as the only run of job ``name``, in one transaction."""
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                               [f"trialsite.job.{name}"])
        yield
