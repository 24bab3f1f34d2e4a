"""Screening pages as coordinators and investigators use them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eligibility import services
from eligibility.domain.screening import example_values
from eligibility.forms import form_variables
from eligibility.models import Screening
from enrollment.models import Patient
from tests.factories import screen
from trialsite.models import Role


def form_data(patient, **changes):
    values = example_values(patient.site.study.protocol, patient.consent_date)
    names = {v.name for v in form_variables(patient.site.study.protocol)}
    data = {k: v for k, v in values.items() if k in names}
    data.update(changes)
    return data


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def test_first_save_creates_the_screening_with_its_verdict(coordinator_client, world):
    url = reverse("screening", args=[world.patient_a1.subject_id])
    response = coordinator_client.post(url, form_data(world.patient_a1), follow=True)
    assert "Screening saved: Eligible" in response.content.decode()
    assert Screening.objects.get(patient=world.patient_a1).verdict == "ELIGIBLE"


def test_unreadable_value_is_refused_at_its_field_and_nothing_is_saved(coordinator_client,
                                                                       world):
    url = reverse("screening", args=[world.patient_a1.subject_id])
    response = coordinator_client.post(url, form_data(world.patient_a1, neutrophils_g_l="1,2x"))
    assert response.status_code == 200
    assert "neutrophils_g_l" in response.context["form"].errors
    assert not Screening.objects.exists()


def test_out_of_range_value_is_refused_at_its_field(coordinator_client, world):
    url = reverse("screening", args=[world.patient_a1.subject_id])
    response = coordinator_client.post(url, form_data(world.patient_a1, er_percent="140"))
    assert "er_percent" in response.context["form"].errors


def test_creatinine_in_mg_per_dl_is_converted(coordinator_client, world):
    url = reverse("screening", args=[world.patient_a1.subject_id])
    coordinator_client.post(url, form_data(world.patient_a1, creatinine="1.0",
                                           creatinine__unit="mg/dL"))
    assert Screening.objects.get(patient=world.patient_a1).values["creatinine"] == "88.42"


def test_live_evaluation_shows_each_criterion_with_its_reason(coordinator_client, world):
    url = reverse("screening-evaluate", args=[world.patient_a1.subject_id])
    response = coordinator_client.post(url, form_data(world.patient_a1, neutrophils_g_l="1.2"))
    html = response.content.decode()
    assert "NOT_ELIGIBLE" in html and "INC10" in html
    assert "Neutrophils 1.2 G/L &lt; 1.5 G/L" in html
    assert not Screening.objects.exists()


def test_live_evaluation_lists_missing_data(coordinator_client, world):
    url = reverse("screening-evaluate", args=[world.patient_a1.subject_id])
    data = form_data(world.patient_a1)
    data.pop("lab_date")
    html = coordinator_client.post(url, data).content.decode()
    assert "INCOMPLETE" in html and "lab_date" in html


def test_edit_demands_a_reason(coordinator_client, world, coordinator):
    screen(world.patient_a1, actor=coordinator)
    url = reverse("screening", args=[world.patient_a1.subject_id])
    response = coordinator_client.post(url, {**form_data(world.patient_a1), "version": 1})
    assert "reason" in response.context["form"].errors


def test_investigator_signs_with_password_on_the_confirm_page(client, world, coordinator):
    screen(world.patient_a1, actor=coordinator)
    investigator = world.users[Role.INVESTIGATOR]
    client.force_login(investigator)
    url = reverse("screening-confirm", args=[world.patient_a1.subject_id])
    page = client.get(url).content.decode()
    assert "I confirm this patient meets all eligibility criteria" in page
    wrong = client.post(url, {"version": 1, "password": "nope"})
    assert "password" in wrong.context["form"].errors
    client.post(url, {"version": 1, "password": "correct-horse-battery"})
    casebook = client.get(reverse("patient-detail", args=[world.patient_a1.subject_id]))
    assert f"Eligibility confirmed by {investigator.printed_name}" in casebook.content.decode()


def test_coordinator_cannot_open_the_confirm_page(coordinator_client, world, coordinator):
    screen(world.patient_a1, actor=coordinator)
    url = reverse("screening-confirm", args=[world.patient_a1.subject_id])
    assert coordinator_client.get(url).status_code == 403


def test_enrol_page_refuses_an_unconfirmed_screening(coordinator_client, world, coordinator):
    screen(world.patient_a1, actor=coordinator)
    url = reverse("enrol", args=[world.patient_a1.subject_id])
    response = coordinator_client.post(url, {"version": 1, "cdk46i": "PALBOCICLIB",
                                             "cdk46i_start_dose_mg": "125",
                                             "endocrine": "LETROZOLE"})
    assert "not confirmed" in response.content.decode()
    assert Patient.objects.get(pk=world.patient_a1.pk).status == "screening"


def test_screen_failure_log_counts_failed_criteria(client, world, coordinator):
    from tests.factories import register_patient

    for _ in range(2):
        patient = register_patient(world.site_a1, actor=coordinator)
        screening = screen(patient, actor=coordinator, failing=True)
        services.screening_record_failure(actor=coordinator, screening=screening, reason="x")
    client.force_login(world.users[Role.MONITOR])
    response = client.get(reverse("screen-failures", args=["AONE"]))
    assert response.context["criteria"][0][0] == "INC10"
    assert response.context["criteria"][0][2] == 2


def test_monitor_reads_but_cannot_edit_the_screening(client, world, coordinator):
    screen(world.patient_a1, actor=coordinator)
    client.force_login(world.users[Role.MONITOR])
    url = reverse("screening", args=[world.patient_a1.subject_id])
    page = client.get(url)
    assert page.status_code == 200 and page.context["can_edit"] is False
    assert client.post(url, form_data(world.patient_a1)).status_code == 403


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_screening_and_casebook_pages_cost_the_same_for_1_and_25_versions(
        coordinator_client, world, coordinator):
    screening = screen(world.patient_a1, actor=coordinator)
    urls = [reverse("screening", args=[world.patient_a1.subject_id]),
            reverse("patient-detail", args=[world.patient_a1.subject_id])]
    before = [_queries(coordinator_client, url) for url in urls]
    for i in range(24):
        values = {**screening.values, "weight_kg": str(60 + i % 2)}
        screening = services.screening_save(actor=coordinator, patient=world.patient_a1,
                                            values=values, expected_version=screening.version,
                                            reason=f"weight {i}")
    assert [_queries(coordinator_client, url) for url in urls] == before
    assert before[1] <= 12  # + the casebook signature; 3 of them save the session


def test_the_page_asks_the_protocols_other_cancer_and_exclusion_10_questions(
        coordinator_client, world):
    url = reverse("screening", args=[world.patient_a1.subject_id])
    page = coordinator_client.get(url).content.decode()
    assert "History of another cancer" in page
    assert "in situ carcinoma of the cervix, cured" in page
    assert "basal-cell skin carcinoma, cured" in page
    for label in ("Clinically significant cardiovascular disease at baseline",
                  "Interstitial lung disease, past or at baseline",
                  "Acute urinary infection at baseline",
                  "Ongoing haemorrhagic cystitis at baseline"):
        assert label in page
    assert "Other cancer not considered cured" not in page


def test_a_cured_colon_cancer_is_not_eligible(coordinator_client, world):
    url = reverse("screening", args=[world.patient_a1.subject_id])
    response = coordinator_client.post(url, form_data(world.patient_a1, other_cancer="OTHER"),
                                       follow=True)
    assert "Screening saved: Not eligible" in response.content.decode()
    assert Screening.objects.get(patient=world.patient_a1).failed_criteria == ["EXC08"]


def test_a_screening_saved_with_the_retired_question_stays_readable(coordinator_client, world,
                                                                    coordinator):
    patient = world.patient_a1
    old = {k: v for k, v in form_data(patient).items() if k != "other_cancer"}
    services.screening_save(actor=coordinator, patient=patient,
                            values={**old, "other_cancer_history": "Y"})
    response = coordinator_client.get(reverse("screening", args=[patient.subject_id]))
    assert response.context["form"]["other_cancer"].value() == "OTHER"
    assert response.context["evaluation"].result("EXC08").status.value == "NOT_MET"
    assert Screening.objects.get(patient=patient).values["other_cancer_history"] == "Y"
