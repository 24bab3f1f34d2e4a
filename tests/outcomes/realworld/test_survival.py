"""Overall survival and first-line PFS by CDK4/6 inhibitor, log-rank test, severe toxicity."""

from datetime import timedelta

import pytest
from django.urls import reverse

from enrollment.models import Patient
from outcomes import stats
from outcomes.realworld import services as rwd_services
from outcomes.realworld import survival
from tests.factories import enrol, register_patient, site_coordinator
from visits import services as visit_services

# Freireich et al. (1963) remission times in weeks, 6-MP versus placebo, as tabulated in
# Kleinbaum & Klein, Survival Analysis (censored times marked by False): the textbook log-rank
# statistic is 16.79 on 1 df, and the Kaplan-Meier medians are 23 and 8 weeks.
SIX_MP = [(6, True), (6, True), (6, True), (6, False), (7, True), (9, False), (10, True),
          (10, False), (11, False), (13, True), (16, True), (17, False), (19, False),
          (20, False), (22, True), (23, True), (25, False), (32, False), (32, False),
          (34, False), (35, False)]
PLACEBO = [(t, True) for t in (1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17,
                               22, 23)]


def test_logrank_on_the_remission_data_gives_the_textbook_statistic():
    data = SIX_MP + PLACEBO
    groups = ["6-MP"] * len(SIX_MP) + ["placebo"] * len(PLACEBO)
    result = stats.logrank([t for t, _ in data], [e for _, e in data], groups)
    assert round(result.statistic, 2) == 16.79
    assert result.degrees_of_freedom == 1 and result.p_value < 0.0001
    six_mp = stats.kaplan_meier([t for t, _ in SIX_MP], [e for _, e in SIX_MP])
    placebo = stats.kaplan_meier([t for t, _ in PLACEBO], [e for _, e in PLACEBO])
    assert (six_mp.median, placebo.median) == (23.0, 8.0)


def test_no_logrank_with_one_group_or_no_event():
    assert stats.logrank([1, 2], [True, False], ["a", "a"]) is None
    assert stats.logrank([1, 2], [False, False], ["a", "b"]) is None


@pytest.fixture
def cohort(world):
    """Three PALMARES-2 patients on three drugs: one died, one progressed on line 1, one
    censored at the last contact."""
    site = world.patient_b1.site
    coordinator = site_coordinator(site)
    patients = []
    for index, drug in enumerate(["PALBOCICLIB", "RIBOCICLIB", "ABEMACICLIB"]):
        patient = world.patient_b1 if index == 0 else register_patient(site)
        patient = enrol(patient, coordinator=coordinator)
        enrolment = patient.enrolment
        enrolment.cdk46i = drug
        from trialsite.audit import audited_save

        audited_save(enrolment, actor=coordinator, reason="Test set-up: drug",
                     changed={"cdk46i"})
        patients.append(Patient.objects.select_related("site__study", "enrolment")
                        .get(pk=patient.pk))
    died, progressed, censored = patients
    day1 = died.enrolment.day1
    visit_services.record_death(actor=coordinator, patient=died,
                                death_date=day1 + timedelta(days=250), cause="progression",
                                reason="Death reported by the family")
    rwd_services.line_record(actor=coordinator, patient=progressed, number=1,
                             drugs=["RIBOCICLIB", "LETROZOLE"], start_date=day1,
                             stop_date=day1 + timedelta(days=100), stop_reason="progression")
    return coordinator, died, progressed, censored


def test_survival_of_each_patient(cohort):
    _, died, progressed, censored = cohort
    rows = {r.patient.pk: r for r in survival.patient_survival(
        [Patient.objects.select_related("enrolment").get(pk=p.pk)
         for p in (died, progressed, censored)])}
    assert (rows[died.pk].os_days, rows[died.pk].os_event) == (250, True)
    assert (rows[died.pk].pfs_days, rows[died.pk].pfs_event) == (250, True)
    assert (rows[progressed.pk].pfs_days, rows[progressed.pk].pfs_event) == (100, True)
    assert rows[progressed.pk].os_event is False
    contact = (censored.consent_date - censored.enrolment.day1).days
    assert (rows[censored.pk].os_days, rows[censored.pk].os_event) == (contact, False)
    assert rows[censored.pk].pfs_event is False


def test_the_outcomes_page_shows_curves_per_drug_and_the_logrank_test(client, cohort):
    coordinator = cohort[0]
    client.force_login(coordinator)
    response = client.get(reverse("study-outcomes", args=["PALMARES-2"]))
    assert response.status_code == 200
    block = response.context["survival"]
    assert [label for label, _ in block["os"]["curves"]] == [
        "Palbociclib", "Ribociclib", "Abemaciclib"]
    assert block["os"]["logrank"].groups == 3
    page = response.content.decode()
    assert "Overall survival by CDK4/6 inhibitor" in page
    assert page.count('class="km-curve"') >= 6  # three drugs, OS and first-line PFS
    assert "Log-rank test across 3 drugs" in page
    assert "(two-sided)" in page
    assert [row["patients"] for row in block["safety"]] == [1, 1, 1]


def test_palmares2_shows_one_pfs_the_real_world_pfs_of_line_1(client, cohort):
    coordinator = cohort[0]
    client.force_login(coordinator)
    response = client.get(reverse("study-outcomes", args=["PALMARES-2"]))
    page = response.content.decode()
    # Its one PFS is rwPFS of line 1: the RECIST PFS of ICRG0201 is not on this page.
    assert "Real-world progression-free survival of line 1 (rwPFS)" in page
    assert "Censored at the last adequate tumour assessment" not in page
    assert page.count("Censored at the last contact (latest visit") == 2  # card and by drug
    km = response.context["km"]
    # The same definition as the curves by drug: 3 patients, the death and the progression.
    assert (km.subjects, km.events) == (3, 2)
    assert km.median_method == "Brookmeyer and Crowley (1982), log(−log) limits"
    assert "Assumptions (the registry text is silent)" in page
    assert "Intent-to-treat" not in page
