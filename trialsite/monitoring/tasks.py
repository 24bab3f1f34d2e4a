"""Daily monitoring job: the protocol's edit checks over every patient, set-based and
idempotent (a second run opens and closes nothing)."""

from celery import shared_task

from trialsite.jobs import exclusive_job
from trialsite.monitoring import services


@shared_task(acks_late=True)
def run_edit_checks():
    with exclusive_job("run_edit_checks"):
        opened, closed = services.edit_checks_run(patient_pks=None)
    return {"opened": opened, "closed": closed}
