"""Housekeeping jobs of the project itself."""

from importlib import import_module

from celery import shared_task
from django.conf import settings


@shared_task(acks_late=True)
def purge_expired_sessions():
    """Delete sessions past their expiry (idle logouts leave them behind). Idempotent."""
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from trialsite.models import SubmissionToken

    engine = import_module(settings.SESSION_ENGINE)
    before = Session.objects.filter(expire_date__lt=timezone.now()).count()
    engine.SessionStore.clear_expired()
    # One-time submission keys only matter while a double submission can still arrive.
    SubmissionToken.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
    return before


@shared_task(acks_late=True)
def verify_audit_trail():
    """Verify the audit trail's hash chains daily and alert on a break."""
    from trialsite.services import audit_trail_verify

    return audit_trail_verify().outcome
