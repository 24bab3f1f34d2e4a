"""Two overlapping runs of a daily job flag each item once (real concurrent runs, PostgreSQL)."""

import threading

import pytest
from django.db import connections

from biosamples import tasks as sample_tasks
from biosamples.models import SampleFlag
from tests.biosamples.test_jobs import complete
from tests.visits.crf.test_services import enrolled_patient
from trialsite.models import Role

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(job, runs=2):
    barrier = threading.Barrier(runs)
    errors, results = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(job())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


def test_two_overlapping_sample_checks_flag_a_missing_sample_once(world):
    patient = enrolled_patient(world)
    complete(patient, "BL", world.users[Role.COORDINATOR])
    results = run_concurrently(sample_tasks.flag_sample_problems)
    assert SampleFlag.objects.filter(kind="missing_sample").count() == 1
    assert sorted(r["raised"].get("missing_sample", 0) for r in results) == [0, 1]
