"""Tests on the real services: PostgreSQL history guard, and a Celery worker on Redis."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from enrollment.models import Patient
from trialsite.history_guard import guarded_tables, historical_models


@pytest.mark.postgres
def test_every_history_table_carries_the_append_only_trigger(db):
    tables = {m._meta.db_table for m in historical_models()}
    assert "enrollment_historicalpatient" in tables
    assert tables <= guarded_tables()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE enrollment_historicalpatient SET history_change_reason = 'rewritten'",
        "DELETE FROM enrollment_historicalpatient",
    ],
)
def test_sql_cannot_change_or_delete_history_rows(world, statement):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert Patient.history.filter(history_change_reason="rewritten").count() == 0
    assert Patient.history.count() == 3


@pytest.mark.postgres
def test_history_can_still_be_appended(world, coordinator):
    from enrollment import services

    services.patient_void(actor=coordinator, patient=world.patient_a1, reason="Duplicate")
    assert world.patient_a1.history.count() == 2


@pytest.mark.services
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_on_redis_runs_the_job(real_worker):
    from trialsite.tasks import purge_expired_sessions

    store = SessionStore()
    store["probe"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=5)
    )
    purge_expired_sessions.apply_async(queue=real_worker.queue)
    real_worker.wait_for(
        lambda: not Session.objects.filter(session_key=store.session_key).exists())
    output = real_worker.stop()
    assert "trialsite.tasks.purge_expired_sessions" in output
    assert "succeeded" in output
