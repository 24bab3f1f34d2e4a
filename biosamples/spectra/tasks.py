"""The fingerprint analysis job: loads the run by id and executes it, once."""

from celery import shared_task

from biosamples.spectra.analysis import execute
from biosamples.spectra.models import AnalysisRun
from trialsite.services import system_user


@shared_task(acks_late=True)
def run_analysis(run_id):
    run = AnalysisRun.objects.select_related("study").get(pk=run_id)
    if run.status != AnalysisRun.Status.QUEUED:
        return run.status  # already run (a redelivered message): nothing to do twice
    execute(run, actor=system_user())
    return run.status
