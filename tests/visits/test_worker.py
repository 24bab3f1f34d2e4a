"""The visit jobs on a real Celery worker with Redis (CI), against PostgreSQL."""

from datetime import date, timedelta

import pytest

from enrollment.models import Enrolment
from tests.factories import enrol
from visits.models import Visit
from visits.tasks import flag_overdue_visits


@pytest.mark.services
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_flags_overdue_visits_once(world, coordinator, real_worker):
    patient = enrol(world.patient_a1, coordinator=coordinator, today=date(2026, 2, 1))
    day = Enrolment.objects.get(patient=patient).day1 + timedelta(days=60)
    first = flag_overdue_visits.apply_async(args=[day.isoformat()], queue=real_worker.queue)
    assert first.get(timeout=60) == {"flagged": 2, "resolved": 0}
    second = flag_overdue_visits.apply_async(args=[day.isoformat()], queue=real_worker.queue)
    assert second.get(timeout=60) == {"flagged": 0, "resolved": 0}
    flagged = Visit.objects.filter(patient=patient, overdue_since=day)
    assert set(flagged.values_list("code", flat=True)) == {"BL", "M1"}
    assert all(v.history.filter(history_change_reason__startswith="Window closed").count() == 1
               for v in flagged)
