"""Sponsors see data pseudonymised on every page: the age, never the birth date."""

from datetime import date

import pytest

from enrollment import services
from tests.factories import screen
from trialsite.models import Role

BIRTH = "1970-05-1"  # 1970-05-17 as registered, 1970-05-18 after the correction


@pytest.fixture
def corrected(world, coordinator):
    patient = world.patient_a1
    screen(patient, actor=coordinator)
    return services.patient_update(actor=coordinator, patient=patient, expected_version=1,
                                   reason="Transcription error", birth_date=date(1970, 5, 18))


def pages_of(patient):
    return [f"/patients/{patient.subject_id}/", f"/patients/{patient.subject_id}/screening/"]


def test_a_sponsor_sees_the_age_and_never_the_birth_date_on_any_patient_page(
        world, client, corrected):
    client.force_login(world.users[Role.SPONSOR])
    for path in pages_of(corrected):
        page = client.get(path)
        assert page.status_code == 200
        assert BIRTH not in page.content.decode(), path
    detail = client.get(pages_of(corrected)[0]).content.decode()
    assert "Age at consent (birth date withheld)" in detail  # the correction stays visible
    screening = client.get(pages_of(corrected)[1]).content.decode()
    assert f"aged {corrected.age_at_consent} at consent" in screening
    assert "age_at_consent" in screening


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.MONITOR, Role.DATA_MANAGER])
def test_site_staff_monitors_and_data_managers_still_see_the_birth_date(
        world, client, corrected, role):
    client.force_login(world.users[role])
    detail = client.get(pages_of(corrected)[0]).content.decode()
    assert "<del>1970-05-17</del>" in detail and "<ins>1970-05-18</ins>" in detail
