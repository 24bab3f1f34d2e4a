"""Real-world data of PALMARES-2: lines of therapy, comorbidities, collected items."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollment.models import Patient
from outcomes.models import CollectedItem, Comorbidity, TreatmentLine
from outcomes.realworld import selectors as rwd_selectors
from outcomes.realworld import services as rwd_services
from tests.factories import UserFactory, enrol, grant, site_coordinator
from trialsite.audit import StaleVersion
from trialsite.models import Role


@pytest.fixture
def rwd(world):
    coordinator = site_coordinator(world.patient_b1.site)
    patient = enrol(world.patient_b1, coordinator=coordinator)
    return Patient.objects.select_related("site__study", "enrolment").get(pk=patient.pk), \
        coordinator


def first_line(patient, coordinator, **kw):
    values = {"drugs": ["PALBOCICLIB", "LETROZOLE"], "start_date": patient.enrolment.day1,
              "stop_date": patient.enrolment.day1 + timedelta(days=200),
              "stop_reason": "progression", "best_response": "PR"}
    values.update(kw)
    return rwd_services.line_record(actor=coordinator, patient=patient, number=1, **values)


def test_lines_are_recorded_in_order_with_their_history(rwd):
    patient, coordinator = rwd
    line = first_line(patient, coordinator)
    second = rwd_services.line_record(
        actor=coordinator, patient=patient, number=2, drugs=["FULVESTRANT"],
        other_regimen="", start_date=line.stop_date, best_response="SD")
    assert [x.number for x in rwd_selectors.lines_of(patient)] == [1, 2]
    assert second.stop_date is None and second.stop_reason == ""
    assert line.history.get().history_user == coordinator


@pytest.mark.parametrize("changes, field, words", [
    ({"drugs": ["LETROZOLE"]}, "drugs", "must include a CDK4/6 inhibitor"),
    ({"start_date": date(2025, 5, 18)}, "start_date", "starts on day 1"),
    ({"stop_reason": ""}, "stop_reason", "Say why"),
    ({"stop_reason": "other"}, "stop_reason_other", "other reason"),
    ({"stop_date": date(2099, 1, 1)}, "stop_date", "future"),
])
def test_line_refusals_land_on_their_field(rwd, changes, field, words):
    patient, coordinator = rwd
    with pytest.raises(ValidationError) as excinfo:
        first_line(patient, coordinator, **changes)
    assert words in " ".join(excinfo.value.message_dict[field])
    assert not TreatmentLine.objects.exists()


def test_an_overlapping_line_is_refused(rwd):
    patient, coordinator = rwd
    line = first_line(patient, coordinator)
    with pytest.raises(ValidationError) as excinfo:
        rwd_services.line_record(actor=coordinator, patient=patient, number=2,
                                 drugs=["CAPECITABINE"],
                                 start_date=line.stop_date - timedelta(days=1))
    assert "cannot overlap" in excinfo.value.message_dict["start_date"][0]


def test_a_line_after_the_last_contact_or_death_is_refused(rwd):
    patient, coordinator = rwd
    line = first_line(patient, coordinator)
    contact = rwd_selectors.last_contact(patient)
    assert contact == patient.consent_date
    with pytest.raises(ValidationError) as excinfo:
        rwd_services.line_record(actor=coordinator, patient=patient, number=2,
                                 drugs=["CAPECITABINE"],
                                 start_date=contact + timedelta(days=1))
    assert "after the last contact" in excinfo.value.message_dict["start_date"][0]
    assert line.stop_date < contact


def test_correcting_a_line_needs_a_reason_and_the_version(rwd):
    patient, coordinator = rwd
    line = first_line(patient, coordinator)
    with pytest.raises(ValidationError):
        rwd_services.line_update(actor=coordinator, line=line, expected_version=line.version,
                                 reason=" ", best_response="SD")
    rwd_services.line_update(actor=coordinator, line=line, expected_version=line.version,
                             reason="Source says SD", best_response="SD")
    with pytest.raises(StaleVersion):
        rwd_services.line_update(actor=coordinator, line=TreatmentLine.objects.get(pk=line.pk),
                                 expected_version=1, reason="Other tab", best_response="CR")
    line = TreatmentLine.objects.get(pk=line.pk)
    assert line.best_response == "SD"
    assert line.history.order_by("-history_id").first().history_change_reason == "Source says SD"


def test_only_the_last_line_can_be_voided(rwd):
    patient, coordinator = rwd
    line = first_line(patient, coordinator)
    rwd_services.line_record(actor=coordinator, patient=patient, number=2,
                             drugs=["CAPECITABINE"], start_date=line.stop_date)
    with pytest.raises(ValidationError, match="Void line 2 first"):
        rwd_services.line_void(actor=coordinator, line=line, reason="Duplicate")
    second = TreatmentLine.objects.get(number=2)
    rwd_services.line_void(actor=coordinator, line=second, reason="Wrong patient")
    assert [x.number for x in rwd_selectors.lines_of(patient)] == [1]
    again = rwd_services.line_record(actor=coordinator, patient=patient, number=2,
                                     drugs=["ERIBULIN"], start_date=line.stop_date)
    assert again.number == 2


def test_a_study_without_real_world_data_refuses_it(world, coordinator):
    patient = enrol(world.patient_a1, coordinator=coordinator)
    with pytest.raises(ValidationError, match="does not collect"):
        rwd_services.comorbidity_record(actor=coordinator, patient=patient, code="DIABETES")


def test_comorbidities_from_the_coded_list_once_each(rwd):
    patient, coordinator = rwd
    rwd_services.comorbidity_record(actor=coordinator, patient=patient, code="DIABETES")
    with pytest.raises(ValidationError) as excinfo:
        rwd_services.comorbidity_record(actor=coordinator, patient=patient, code="DIABETES")
    assert "already recorded" in excinfo.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as excinfo:
        rwd_services.comorbidity_record(actor=coordinator, patient=patient, code="OTHER")
    assert "details" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        rwd_services.comorbidity_record(actor=coordinator, patient=patient, code="FLU")
    assert "code" in excinfo.value.message_dict
    item = Comorbidity.objects.get()
    rwd_services.comorbidity_void(actor=coordinator, comorbidity=item, reason="Not in source")
    rwd_services.comorbidity_record(actor=coordinator, patient=patient, code="DIABETES",
                                    details="type 2")


def test_collected_items_and_what_is_missing(rwd):
    patient, coordinator = rwd
    rwd_services.item_record(actor=coordinator, patient=patient, kind="BASELINE_CT",
                             collected_on=patient.enrolment.day1,
                             storage_reference="PACS ACC-0001", consent_for_use=True)
    with pytest.raises(ValidationError) as excinfo:
        rwd_services.item_record(actor=coordinator, patient=patient, kind="FDG_PET",
                                 collected_on=patient.enrolment.day1, storage_reference=" ",
                                 consent_for_use=True)
    assert "storage_reference" in excinfo.value.message_dict
    plan = patient.site.study.protocol.real_world
    [(_, missing)] = rwd_selectors.missing_items([patient], plan)
    assert missing == ["FDG-PET scan", "Digitised H&E slide", "Tumour block"]
    item = CollectedItem.objects.get()
    rwd_services.item_update(actor=coordinator, item=item, expected_version=item.version,
                             reason="Moved to archive", storage_reference="Archive B-12")
    assert CollectedItem.objects.get().storage_reference == "Archive B-12"


# --- pages ----------------------------------------------------------------------------------


def test_the_page_adds_a_line_and_shows_field_errors(client, rwd):
    patient, coordinator = rwd
    client.force_login(coordinator)
    url = reverse("real-world", args=[patient.subject_id])
    assert client.get(url).status_code == 200
    day1 = patient.enrolment.day1
    post = {"action": "line", "line-drugs": ["LETROZOLE"], "line-start_date": day1.isoformat(),
            "line-best_response": "NA"}
    response = client.post(url, post)
    assert response.status_code == 200
    assert "must include a CDK4/6 inhibitor" in response.context["line_form"].errors["drugs"][0]
    response = client.post(url, {**post, "line-drugs": ["RIBOCICLIB", "LETROZOLE"]})
    assert response.status_code == 302
    line = TreatmentLine.objects.get()
    assert (line.number, line.drugs) == (1, ["RIBOCICLIB", "LETROZOLE"])
    page = client.get(reverse("patient-detail", args=[patient.subject_id])).content.decode()
    assert "Lines of therapy and sub-studies" in page and "1 line of therapy" in page
    edit = reverse("treatment-line", args=[patient.subject_id, 1])
    response = client.post(edit, {"action": "correct", "correct-version": line.version,
                                  "correct-drugs": ["RIBOCICLIB", "LETROZOLE"],
                                  "correct-start_date": day1.isoformat(),
                                  "correct-best_response": "SD",
                                  "correct-reason": "Response from the chart"})
    assert response.status_code == 302
    assert TreatmentLine.objects.get().best_response == "SD"


def test_a_trial_without_real_world_data_has_no_such_page(client, world, coordinator):
    patient = enrol(world.patient_a1, coordinator=coordinator)
    client.force_login(coordinator)
    assert client.get(reverse("real-world", args=[patient.subject_id])).status_code == 404
    page = client.get(reverse("patient-detail", args=[patient.subject_id])).content.decode()
    assert "Lines of therapy and sub-studies" not in page


def test_a_monitor_reads_but_cannot_write_and_sees_missing_items(client, rwd):
    patient, coordinator = rwd
    first_line(patient, coordinator)
    monitor = grant(UserFactory(), Role.MONITOR, site=patient.site)
    client.force_login(monitor)
    url = reverse("real-world", args=[patient.subject_id])
    page = client.get(url)
    assert page.status_code == 200 and page.context["line_form"] is None
    assert client.post(url, {"action": "comorbidity",
                             "comorbidity-code": "DIABETES"}).status_code == 403
    response = client.get(reverse("missing-items", args=["PALMARES-2"]))
    assert response.status_code == 200
    assert [(p.subject_id, m) for p, m in response.context["rows"]] == [
        (patient.subject_id, ["Baseline CT scan", "FDG-PET scan", "Digitised H&E slide",
                              "Tumour block"])]


def test_the_real_world_page_reads_in_constant_queries(client, rwd):
    patient, coordinator = rwd
    client.force_login(coordinator)
    url = reverse("real-world", args=[patient.subject_id])
    line = first_line(patient, coordinator)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    one = count()
    start = line.stop_date
    for number in range(2, 6):
        line = rwd_services.line_record(actor=coordinator, patient=patient, number=number,
                                        drugs=["CAPECITABINE"], start_date=start,
                                        stop_date=start + timedelta(days=5),
                                        stop_reason="toxicity")
        start = line.stop_date
    for code in ("DIABETES", "COPD", "RENAL"):
        rwd_services.comorbidity_record(actor=coordinator, patient=patient, code=code)
    assert count() == one
