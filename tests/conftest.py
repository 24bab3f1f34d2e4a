import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import SiteFactory, StudyFactory, UserFactory, grant, register_patient
from trialsite.models import Role

REQUIRE_SERVICES = os.environ.get("CI", "").lower() == "true" or bool(
    os.environ.get("TRIALSITE_REQUIRE_SERVICES")
)


def pytest_collection_modifyitems(config, items):
    """Deselect (never skip) tests for services this run is not configured to use."""
    on_postgres = connection.vendor == "postgresql"
    on_redis = os.environ.get("CELERY_BROKER_URL", "").startswith("redis://")
    keep, drop = [], []
    for item in items:
        if item.get_closest_marker("postgres") and not on_postgres:
            drop.append(item)
        elif item.get_closest_marker("services") and not on_redis:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True, scope="session")
def _eager_jobs():
    """Jobs run in the test process; the Redis worker test switches this off for itself."""
    from trialsite.celery import app

    app.conf.task_always_eager = True
    yield


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path, monkeypatch):
    """Each test has a file store of its own; by environment too, for a real worker process."""
    location = tmp_path / "files"
    monkeypatch.setenv("TRIALSITE_FILES_DIR", str(location))
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(location)}}}
    return location


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    """Two studies; study A has sites A1 and A2, study B has site B1; one user per role at A."""

    study_a: object
    study_b: object
    site_a1: object
    site_a2: object
    site_b1: object
    users: dict
    patient_a1: object
    patient_a2: object
    patient_b1: object


SITE_ROLES = (Role.COORDINATOR, Role.INVESTIGATOR, Role.MONITOR)
STUDY_ROLES = (Role.DATA_MANAGER, Role.SPONSOR, Role.CENTRAL_LAB, Role.STATISTICIAN)


@pytest.fixture
def world(db):
    study_a = StudyFactory(code="ICRG0201")
    study_b = StudyFactory(code="PALMARES-2")
    site_a1 = SiteFactory(study=study_a, code="AONE")
    site_a2 = SiteFactory(study=study_a, code="ATWO", time_zone="Asia/Riyadh")
    site_b1 = SiteFactory(study=study_b, code="BONE", time_zone="Europe/Rome")
    users = {}
    for role in SITE_ROLES:
        users[role] = grant(UserFactory(username=f"{role}-a1"), role, site=site_a1)
    for role in STUDY_ROLES:
        users[role] = grant(UserFactory(username=f"{role}-a"), role, study=study_a)
    return World(
        study_a=study_a, study_b=study_b, site_a1=site_a1, site_a2=site_a2, site_b1=site_b1,
        users=users,
        patient_a1=register_patient(site_a1, actor=users[Role.COORDINATOR]),
        patient_a2=register_patient(site_a2),
        patient_b1=register_patient(site_b1),
    )


@pytest.fixture
def coordinator(world):
    return world.users[Role.COORDINATOR]


def chromium_path():
    return shutil.which("chromium") or shutil.which("chromium-browser")


class RealWorker:
    """A ``celery worker`` process on the configured broker, against the test database."""

    def __init__(self, queue):
        from django.db import connection

        settings = connection.settings_dict
        database_url = (f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
                        f"{settings['PORT'] or 5432}/{settings['NAME']}")
        self.queue = queue
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "trialsite", "worker", "--pool=solo",
             "--without-gossip", "--without-mingle", "-Q", queue, "--loglevel=INFO"],
            cwd=Path(__file__).resolve().parents[1],
            env={**os.environ, "DATABASE_URL": database_url, "CELERY_TASK_ALWAYS_EAGER": "0"},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.output = None

    def wait_for(self, condition, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                pytest.fail(f"the worker died:\n{self.stop()}")
            time.sleep(0.5)
        pytest.fail(f"the worker did not do the job within {timeout} s:\n{self.stop()}")

    def stop(self):
        if self.output is None:
            self.process.terminate()
            self.output, _ = self.process.communicate(timeout=30)
        return self.output


@pytest.fixture
def real_worker():
    """Send tasks with ``apply_async(queue=real_worker.queue)``; jobs are not eager meanwhile."""
    from trialsite.celery import app

    worker = RealWorker(f"ci-{uuid.uuid4().hex[:8]}")
    app.conf.task_always_eager = False
    try:
        yield worker
    finally:
        app.conf.task_always_eager = True
        worker.stop()
