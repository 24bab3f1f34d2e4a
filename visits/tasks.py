"""Daily visit jobs. Each loads nothing by id (they are set-based over all sites), acts as the
system user, and is idempotent: a second run on the same day changes and sends nothing."""

from celery import shared_task
from django.utils import timezone

from trialsite.jobs import exclusive_job
from trialsite.services import system_user
from visits import services


@shared_task(acks_late=True)
def flag_overdue_visits(today=None):
    day = timezone.localdate() if today is None else _date(today)
    with exclusive_job("flag_overdue_visits"):
        return services.flag_overdue_visits(actor=system_user(), today=day)


@shared_task(acks_late=True)
def send_visit_reminders(today=None):
    day = timezone.localdate() if today is None else _date(today)
    with exclusive_job("send_visit_reminders"):
        return services.send_visit_reminders(actor=system_user(), today=day)


@shared_task(acks_late=True)
def extend_visit_schedules(today=None):
    day = timezone.localdate() if today is None else _date(today)
    with exclusive_job("extend_visit_schedules"):
        return services.schedules_extend(actor=system_user(), today=day)


def _date(value):
    from datetime import date

    return value if isinstance(value, date) else date.fromisoformat(value)
