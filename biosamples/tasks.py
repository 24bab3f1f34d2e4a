"""The daily sample check: set-based over all sites, as the system user, idempotent."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from biosamples import services
from trialsite.jobs import exclusive_job
from trialsite.services import system_user


@shared_task(acks_late=True)
def flag_sample_problems(today=None):
    day = timezone.localdate() if today is None else (
        today if isinstance(today, date) else date.fromisoformat(today))
    with exclusive_job("flag_sample_problems"):
        return services.sample_flags_refresh(actor=system_user(), today=day)


# The fingerprint analysis job (found by Celery's autodiscovery through this module).
from biosamples.spectra.tasks import run_analysis  # noqa: E402, F401
