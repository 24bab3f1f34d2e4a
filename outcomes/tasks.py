"""The real-world import job: loads the job by id, imports its files, records the outcome."""

from celery import shared_task
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from outcomes.models import ImportJob
from outcomes.realworld.importer import ImportRefused, import_real_world
from trialsite.audit import audited_queryset_update
from trialsite.services import system_user


def _job_update(job_id, *, reason, **values):
    """Change the job row, with its history row (the job acts as the system user)."""
    audited_queryset_update(ImportJob.objects.filter(pk=job_id), actor=system_user(),
                            reason=reason, **values)


def _side_update(side, job_id, *, reason, actor, percent, stage):
    """``_job_update`` of the progress through ``side``, a second connection in autocommit:
    the same two statements as ``audited_queryset_update`` (the row, then its history row)."""
    quote = side.ops.quote_name
    table = quote(ImportJob._meta.db_table)
    history = quote(ImportJob.history.model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in ImportJob._meta.concrete_fields)
    now = timezone.now()
    with side.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET percent = %s, stage = %s, version = version + 1, "
                       f"updated_at = %s WHERE id = %s", [percent, stage, now, job_id])
        cursor.execute(f"INSERT INTO {history} ({columns}, history_date, "
                       f"history_change_reason, history_type, history_user_id) "
                       f"SELECT {columns}, %s, %s, '~', %s FROM {table} WHERE id = %s",
                       [now, reason, actor.pk, job_id])


def _progress_writer(job_id):
    """A function writing the job's progress where the status page can read it at once.

    The import saves in one transaction; on PostgreSQL progress goes through a second
    connection (in autocommit) so the page sees it before the commit. SQLite cannot write from
    two connections at once, so there it is written in the import's transaction (seen at the
    end). Either way each step is a change of the job with its history row.
    """
    if connection.vendor != "postgresql":
        def write(fraction, stage):
            _job_update(job_id, reason=f"Import progress: {stage}",
                        percent=int(100 * fraction), stage=stage[:100])
        return write, lambda: None
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    actor = system_user()

    def write(fraction, stage):
        _side_update(side, job_id, reason=f"Import progress: {stage}", actor=actor,
                     percent=int(100 * fraction), stage=stage[:100])
    return write, side.close


@shared_task(acks_late=True)
def run_real_world_import(job_id):
    job = (ImportJob.objects.select_related("study", "requested_by")
           .filter(pk=job_id, status=ImportJob.Status.QUEUED).first())
    if job is None:  # already run (a redelivered message): nothing to do twice
        return None
    _job_update(job.pk, reason="Import started", status=ImportJob.Status.RUNNING,
                stage="reading the files")
    files = {f.name: bytes(f.content) for f in job.files.all()}
    write, close = _progress_writer(job.pk)
    outcome, reason = {}, "Import failed"
    try:
        summary = import_real_world(actor=job.requested_by, study=job.study, files=files,
                                    progress=write)
        outcome.update(status=ImportJob.Status.DONE, summary=summary, percent=100,
                       stage="done")
        reason = "Imported"
    except ImportRefused as exc:
        outcome.update(status=ImportJob.Status.REFUSED,
                       problems=[p.as_dict() for p in exc.problems], stage="refused")
        reason = f"Refused: {len(exc.problems)} problem(s), nothing imported"
    except PermissionDenied as exc:
        outcome.update(status=ImportJob.Status.FAILED, error=str(exc), stage="refused")
    except Exception as exc:  # the job must end in a state the page can show
        outcome.update(status=ImportJob.Status.FAILED, error=f"{type(exc).__name__}: {exc}",
                       stage="failed")
        raise
    finally:
        close()
        outcome["finished_at"] = timezone.now()
        _job_update(job.pk, reason=reason, **outcome)
    return job_id
