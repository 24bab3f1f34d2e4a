"""The real-world import job: loads the job by id, imports its files, records the outcome."""

from celery import shared_task
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from outcomes.models import ImportJob
from outcomes.rwd_import import ImportRefused, import_real_world


def _progress_writer(job_id):
    """A function writing the job's progress where the status page can read it at once.

    The import saves in one transaction; on PostgreSQL progress goes through a second
    connection so the page sees it before the commit. SQLite cannot write from two connections
    at once, so there it is written in the job's own transaction (seen at the end).
    """
    table = connection.ops.quote_name(ImportJob._meta.db_table)
    if connection.vendor != "postgresql":
        def write(fraction, stage):
            ImportJob.objects.filter(pk=job_id).update(percent=int(100 * fraction),
                                                       stage=stage[:100])
        return write, lambda: None
    side = connections.create_connection(DEFAULT_DB_ALIAS)

    def write(fraction, stage):
        with side.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET percent = %s, stage = %s WHERE id = %s",
                           [int(100 * fraction), stage[:100], job_id])
    return write, side.close


@shared_task(acks_late=True)
def run_real_world_import(job_id):
    job = (ImportJob.objects.select_related("study", "requested_by")
           .filter(pk=job_id, status=ImportJob.Status.QUEUED).first())
    if job is None:  # already run (a redelivered message): nothing to do twice
        return None
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING,
                                               stage="reading the files")
    files = {f.name: bytes(f.content) for f in job.files.all()}
    write, close = _progress_writer(job.pk)
    outcome = {"finished_at": timezone.now()}
    try:
        summary = import_real_world(actor=job.requested_by, study=job.study, files=files,
                                    progress=write)
        outcome.update(status=ImportJob.Status.DONE, summary=summary, percent=100,
                       stage="done")
    except ImportRefused as exc:
        outcome.update(status=ImportJob.Status.REFUSED,
                       problems=[p.as_dict() for p in exc.problems], stage="refused")
    except PermissionDenied as exc:
        outcome.update(status=ImportJob.Status.FAILED, error=str(exc), stage="refused")
    except Exception as exc:  # the job must end in a state the page can show
        outcome.update(status=ImportJob.Status.FAILED, error=f"{type(exc).__name__}: {exc}",
                       stage="failed")
        raise
    finally:
        close()
        outcome["finished_at"] = timezone.now()
        ImportJob.objects.filter(pk=job.pk).update(**outcome)
    return job_id
