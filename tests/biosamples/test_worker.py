"""The daily sample check on a real Celery worker with Redis (CI), against PostgreSQL."""

import pytest
from django.utils import timezone

from biosamples.models import SampleFlag
from biosamples.tasks import flag_sample_problems
from tests.biosamples.test_jobs import complete


@pytest.mark.services
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_flags_a_missing_sample_once(patient, coordinator, real_worker):
    complete(patient, "BL", coordinator)
    day = timezone.localdate().isoformat()
    first = flag_sample_problems.apply_async(args=[day], queue=real_worker.queue)
    assert first.get(timeout=60) == {"raised": {"missing_sample": 1}, "resolved": 0}
    second = flag_sample_problems.apply_async(args=[day], queue=real_worker.queue)
    assert second.get(timeout=60) == {"raised": {}, "resolved": 0}
    flag = SampleFlag.objects.get()
    assert (flag.visit.code, flag.history.count()) == ("BL", 1)
