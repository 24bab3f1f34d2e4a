from datetime import date, timedelta

from rest_framework.test import APIClient

from tests.factories import UserFactory, api_key, grant
from trialsite.models import Role


def api_for(user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user)}")
    return api


def test_schedule_api_plans_icrg0201_from_a_start_date(world):
    api = api_for(world.users[Role.COORDINATOR])
    response = api.get("/api/v1/studies/ICRG0201/schedule",
                       {"start": "2026-03-02", "until": "2026-09-30"})
    assert response.status_code == 200
    rows = {r["code"]: r for r in response.json()}
    start = date(2026, 3, 2)
    assert rows["BL"] == {"code": "BL", "label": rows["BL"]["label"],
                          "target_date": "2026-03-02", "window_start": "2026-03-02",
                          "window_end": "2026-03-05"}
    assert rows["M1"]["target_date"] == str(start + timedelta(days=28))
    assert rows["M3"]["window_start"] == str(start + timedelta(days=77))
    assert rows["M6"]["target_date"] == str(start + timedelta(days=168))
    assert "M9" not in rows  # day 252 is after `until`


def test_schedule_api_plans_palmares2_every_91_days_with_30_day_windows(world):
    assert api_for(world.users[Role.DATA_MANAGER]).get(
        "/api/v1/studies/PALMARES-2/schedule",
        {"start": "2026-01-01", "until": "2026-12-31"}).status_code == 404  # not their study
    manager = grant(UserFactory(), Role.DATA_MANAGER, study=world.study_b)
    rows = {r["code"]: r for r in api_for(manager).get(
        "/api/v1/studies/PALMARES-2/schedule",
        {"start": "2026-01-01", "until": "2026-12-31"}).json()}
    start = date(2026, 1, 1)
    for n in (1, 2, 3, 4):
        row = rows[f"FU{n}"]
        assert row["target_date"] == str(start + timedelta(days=91 * n))
        assert row["window_start"] == str(start + timedelta(days=91 * n - 30))
        assert row["window_end"] == str(start + timedelta(days=91 * n + 30))
    assert "FU5" not in rows


def test_schedule_api_refuses_bad_dates_at_the_field(world):
    api = api_for(world.users[Role.COORDINATOR])
    response = api.get("/api/v1/studies/ICRG0201/schedule",
                       {"start": "2026-03-02", "until": "2026-01-01"})
    assert response.status_code == 400 and "until" in response.json()
    response = api.get("/api/v1/studies/ICRG0201/schedule", {"start": "soon"})
    assert response.status_code == 400 and {"start", "until"} <= set(response.json())
