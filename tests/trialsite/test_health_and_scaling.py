"""Health checks (/health/, /health/workers/), the export replica router, the queues and the
single beat: the pieces that let trialsite run on several hosts."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from trialsite.db_router import ExportReplicaRouter, export_alias, export_reads
from trialsite.exports.models import DataPackage

ROOT = Path(__file__).resolve().parents[2]


def _checks(response):
    return json.loads(response.content)


@pytest.mark.django_db
def test_health_reports_database_and_file_store(client):
    response = client.get("/health/?format=json")
    assert response.status_code == 200, response.content
    report = _checks(response)
    assert any(name.startswith("Database") for name in report)
    assert any(name.startswith("Storage") for name in report)
    assert set(report.values()) == {"OK"}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_health_fails_when_the_file_store_is_not_writable(client, settings, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the store's folder should be")
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(blocked)}}}
    response = client.get("/health/?format=json")
    assert response.status_code == 500
    report = _checks(response)
    assert [name for name, state in report.items() if state != "OK"] == [
        name for name in report if name.startswith("Storage")]


def test_exports_read_from_the_replica_only_when_one_is_configured(monkeypatch):
    router = ExportReplicaRouter()
    assert export_alias() == "default"
    with export_reads() as alias:
        assert alias == "default"
        assert router.db_for_read(DataPackage) is None
    monkeypatch.setitem(connections.settings, "replica", dict(connections.settings["default"]))
    assert router.db_for_read(DataPackage) is None, "reads outside an export stay on the primary"
    with export_reads() as alias:
        assert alias == "replica"
        assert router.db_for_read(DataPackage) == "replica"
        assert router.db_for_write(DataPackage) is None
    assert router.db_for_read(DataPackage) is None
    assert router.allow_migrate("replica", "exports") is False
    assert router.allow_migrate("owner", "exports") is None


def _settings_with(**env):
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("DATABASE_", "CELERY_"))}
    environment.update(env)
    code = ("import json; from django.conf import settings as s; print(json.dumps({"
            "'databases': {k: {'name': v['NAME'], 'user': v.get('USER'), 'test': v.get('TEST'),"
            " 'ssc': v.get('DISABLE_SERVER_SIDE_CURSORS'), 'options': v.get('OPTIONS')}"
            " for k, v in s.DATABASES.items()},"
            "'beat': getattr(s, 'CELERY_BEAT_SCHEDULER', None),"
            "'routes': s.CELERY_TASK_ROUTES, 'default_queue': s.CELERY_TASK_DEFAULT_QUEUE}))")
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_settings_for_several_hosts():
    seen = _settings_with(
        DATABASE_URL="postgres://trialsite_app:pw@pgbouncer:6432/trialsite",
        DATABASE_OWNER_URL="postgres://trialsite_owner:pw@postgres:5432/trialsite",
        DATABASE_REPLICA_URL="postgres://trialsite_app:pw@replica:5432/trialsite",
        DATABASE_PGBOUNCER="1", CELERY_BROKER_URL="redis://redis:6379/0")
    databases = seen["databases"]
    assert set(databases) == {"default", "owner", "replica"}
    assert databases["default"]["user"] == "trialsite_app"
    assert databases["owner"]["user"] == "trialsite_owner"
    # Tests run on one database: the other aliases mirror it.
    assert {databases[a]["test"]["MIRROR"] for a in ("replica", "owner")} == {"default"}
    # Transaction pooling: no server-side cursors, no prepared statements.
    for alias in databases.values():
        assert alias["ssc"] is True
        assert alias["options"]["prepare_threshold"] is None
    # Long exports and imports on their own queue; one beat, locked in Redis.
    assert seen["routes"]["trialsite.exports.tasks.build_data_package"] == {"queue": "exports"}
    assert seen["routes"]["outcomes.tasks.run_real_world_import"] == {"queue": "exports"}
    assert seen["default_queue"] == "daily"
    assert seen["beat"] == "redbeat.RedBeatScheduler"


def test_a_single_host_needs_none_of_it():
    seen = _settings_with()
    assert set(seen["databases"]) == {"default"}
    assert seen["beat"] is None


def _get_in_a_thread_of_its_own(client, url):
    """GET ``url`` from a fresh thread, as a gunicorn worker thread would. The browser tests'
    Playwright keeps an event loop in this thread for the session, and the health checks use
    ``async_to_sync``, which refuses to run under a running loop."""
    from concurrent.futures import ThreadPoolExecutor

    def get():
        try:
            return client.get(url)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(get).result()


@pytest.mark.services
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_health_reports_a_queue_left_without_a_worker(client):
    from tests.conftest import RealWorker

    worker = RealWorker("daily,exports")
    try:
        deadline = time.monotonic() + 90
        while True:
            response = _get_in_a_thread_of_its_own(client, "/health/workers/?format=json")
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert response.status_code == 200, response.content
    finally:
        worker.stop()
    response = _get_in_a_thread_of_its_own(client, "/health/workers/?format=json")
    assert response.status_code == 500
    [(name, state)] = _checks(response).items()
    assert name.startswith("Ping")
    assert "unavailable" in state or "No worker for Celery task queue" in state


def test_queues_are_declared():
    assert {q.name for q in settings.CELERY_TASK_QUEUES} == {"daily", "exports"}
