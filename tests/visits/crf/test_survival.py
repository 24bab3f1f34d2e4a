"""The survival status form: vital status at a follow-up, with the date and cause of death."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, enrol, grant, site_coordinator
from tests.visits.crf.test_views import post_data
from trialsite.models import Role
from visits.crf import services as crf_services
from visits.crf.models import SurvivalStatus
from visits.models import Visit

ALIVE = {"last_contact_date": date(2026, 3, 2), "vital_status": "alive", "death_date": None,
         "death_cause": "", "death_cause_other": ""}
DEAD = {**ALIVE, "vital_status": "dead", "death_date": date(2026, 2, 27),
        "death_cause": "progression"}


@pytest.fixture
def patient(world):
    """The world's PALMARES-2 patient, enrolled: its follow-ups collect survival status."""
    return enrol(world.patient_b1, today=date(2026, 2, 1))


@pytest.fixture
def coordinator(world):
    return site_coordinator(world.site_b1)


def follow_up(patient):
    visit = None
    for candidate in (Visit.objects.select_related("patient__site__study", "patient__enrolment")
                      .filter(patient=patient).order_by("target_date")):
        if "survival_status" in candidate.forms:
            visit = candidate
            break
    assert visit is not None
    return visit


def save(actor, visit, **changes):
    return crf_services.survival_status_save(actor=actor, visit=visit,
                                             values={**ALIVE, **changes})


def error_fields(excinfo):
    return set(excinfo.value.message_dict)


def test_survival_status_saves_and_marks_the_form_entered(coordinator, patient):
    visit = follow_up(patient)
    record = save(coordinator, visit)
    assert record.version == 1 and record.vital_status == "alive"
    visit = follow_up(patient)
    assert "survival_status" in visit.entered_forms
    assert visit.status == Visit.Status.INCOMPLETE
    assert visit.missing_forms == ["drug_exposure"]
    # The follow-up's visit date comes from its performance status, not from the contact.
    assert visit.actual_date is None


def test_the_contact_date_is_the_visit_date_of_a_survival_only_follow_up():
    values = {"last_contact_date": date(2026, 3, 2)}
    only = Visit(forms=["survival_status"])
    with_ps = Visit(forms=["performance_status", "survival_status"])
    assert crf_services._visit_date(SurvivalStatus, only, values) == date(2026, 3, 2)
    assert crf_services._visit_date(SurvivalStatus, with_ps, values) is None


def test_a_death_needs_its_date_and_cause_and_other_needs_a_description(coordinator, patient):
    visit = follow_up(patient)
    with pytest.raises(ValidationError) as excinfo:
        save(coordinator, visit, vital_status="dead")
    assert error_fields(excinfo) == {"death_date", "death_cause"}
    with pytest.raises(ValidationError) as excinfo:
        save(coordinator, visit, **{**DEAD, "death_cause": "other"})
    assert error_fields(excinfo) == {"death_cause_other"}
    with pytest.raises(ValidationError) as excinfo:
        save(coordinator, visit, death_date=date(2026, 2, 27), death_cause="progression")
    assert error_fields(excinfo) == {"death_date", "death_cause"}
    with pytest.raises(ValidationError) as excinfo:
        save(coordinator, visit, death_cause_other="Accident")
    assert error_fields(excinfo) == {"death_cause_other"}
    assert not SurvivalStatus.objects.exists()
    record = save(coordinator, visit, **{**DEAD, "death_cause": "other",
                                         "death_cause_other": "  Road accident "})
    assert record.death_cause_other == "Road accident"


def test_dates_in_the_future_or_before_consent_are_refused_at_the_field(coordinator, patient):
    visit = follow_up(patient)
    future = timezone.localdate() + timedelta(days=2)
    with pytest.raises(ValidationError) as excinfo:
        save(coordinator, visit, **{**DEAD, "last_contact_date": future, "death_date": future})
    assert error_fields(excinfo) == {"last_contact_date", "death_date"}
    with pytest.raises(ValidationError) as excinfo:
        save(coordinator, visit, **{**DEAD, "death_date": date(2026, 1, 9)})
    assert error_fields(excinfo) == {"death_date"}
    assert "before the patient's consent (2026-01-10)" in \
        excinfo.value.message_dict["death_date"][0]


def test_a_correction_needs_a_reason_and_is_audited(coordinator, patient):
    record = save(coordinator, follow_up(patient))
    with pytest.raises(ValidationError) as excinfo:
        save(coordinator, follow_up(patient), **DEAD)
    assert error_fields(excinfo) == {"reason"}
    corrected = crf_services.survival_status_save(
        actor=coordinator, visit=follow_up(patient), values=DEAD,
        expected_version=record.version, reason="Death certificate received")
    assert corrected.version == 2 and corrected.vital_status == "dead"
    latest = SurvivalStatus.history.filter(id=record.pk).order_by("-history_id").first()
    assert latest.history_user == coordinator
    assert latest.history_change_reason == "Death certificate received"


def test_a_form_the_visit_does_not_collect_is_refused(coordinator, patient):
    baseline = Visit.objects.select_related("patient__site__study").get(patient=patient,
                                                                        code="BL")
    with pytest.raises(ValidationError, match="does not collect"):
        save(coordinator, baseline)


# --- the page ---------------------------------------------------------------------------------


def form_url(visit):
    return reverse("visit-form", args=[visit.patient.subject_id, visit.code, "survival_status"])


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def test_the_visit_page_links_the_form_and_the_page_enters_it(coordinator_client, patient):
    visit = follow_up(patient)
    detail = coordinator_client.get(reverse("visit-detail", args=[patient.subject_id,
                                                                  visit.code]))
    assert form_url(visit) in detail.content.decode()
    response = coordinator_client.get(form_url(visit))
    assert response.status_code == 200
    assert "Survival status" in response.content.decode()
    response = coordinator_client.post(form_url(visit), post_data(DEAD, version=0))
    assert response.status_code == 302
    record = SurvivalStatus.objects.get()
    assert (record.vital_status, record.death_cause) == ("dead", "progression")
    page = coordinator_client.get(form_url(visit))
    assert "reason" in page.context["form"].fields
    response = coordinator_client.post(form_url(visit), post_data(ALIVE, version=1))
    assert response.context["form"].errors["reason"] == ["This field is required."]


@pytest.mark.parametrize("changes, field, message", [
    ({"vital_status": "dead"}, "death_date", "give the date of death"),
    ({"vital_status": "dead", "death_date": "2026-02-27"}, "death_cause", "cause of death"),
    ({**DEAD, "death_cause": "other"}, "death_cause_other", "Describe the other cause"),
    ({"death_date": "2026-02-27"}, "death_date", "not recorded dead"),
    ({"vital_status": "asleep"}, "vital_status", "Select a valid choice"),
    ({"last_contact_date": "2025-12-31"}, "last_contact_date", "before the patient's consent"),
    ({"last_contact_date": "2026-02-30"}, "last_contact_date", "valid date"),
    ({"death_cause_other": "x\x00"}, "death_cause_other", "Null characters"),
])
def test_bad_input_is_refused_at_its_field(coordinator_client, patient, changes, field,
                                           message):
    visit = follow_up(patient)
    response = coordinator_client.post(form_url(visit), post_data(ALIVE, version=0, **changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(message in error for error in errors[field]), errors[field]
    assert '<p class="error" role="alert">' in response.content.decode()
    assert follow_up(patient).entered_forms == []


@pytest.mark.parametrize("role", [Role.MONITOR, Role.SPONSOR])
def test_readers_see_it_read_only_and_cannot_write(client, world, coordinator, patient, role):
    visit = follow_up(patient)
    save(coordinator, visit)
    reader = UserFactory()
    if role == Role.MONITOR:
        grant(reader, role, site=world.site_b1)
    else:
        grant(reader, role, study=world.study_b)
    with pytest.raises(PermissionDenied):
        crf_services.survival_status_save(actor=reader, visit=follow_up(patient), values=DEAD,
                                          expected_version=1, reason="x")
    client.force_login(reader)
    response = client.get(form_url(visit))
    assert response.status_code == 200 and response.context["can_edit"] is False
    assert "Vital status" in response.content.decode()
    response = client.post(form_url(visit), post_data(DEAD, version=1, reason="x"))
    assert response.status_code == 403
    assert SurvivalStatus.objects.get().version == 1


def test_a_death_reported_at_follow_up_ends_the_study_and_cancels_later_visits(coordinator,
                                                                             patient):
    from enrollment.models import Patient

    visit = follow_up(patient)
    crf_services.survival_status_save(actor=coordinator, visit=visit, values=DEAD)
    dead = Patient.objects.get(pk=patient.pk)
    assert (dead.status, dead.death_date, dead.death_cause) == (
        "off_study", DEAD["death_date"], "progression")
    assert not Visit.objects.filter(patient=patient, status="planned",
                                    target_date__gt=DEAD["death_date"]).exists()
