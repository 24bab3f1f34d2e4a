from datetime import timedelta

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from trialsite.tasks import purge_expired_sessions


def make_session(expires_in):
    store = SessionStore()
    store["probe"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + expires_in
    )
    return store.session_key


def test_purge_removes_only_expired_sessions_and_is_idempotent(db):
    old = make_session(timedelta(minutes=-1))
    live = make_session(timedelta(minutes=10))
    assert purge_expired_sessions.delay().get() == 1
    assert not Session.objects.filter(session_key=old).exists()
    assert Session.objects.filter(session_key=live).exists()
    assert purge_expired_sessions.delay().get() == 0


def test_purge_is_on_the_daily_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-sessions"]
    assert entry["task"] == "trialsite.tasks.purge_expired_sessions"
    assert entry["schedule"].hour == {3}
