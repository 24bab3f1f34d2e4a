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
# --- delayed entry (left truncation) --------------------------------------------------------
# Four subjects (entry, time, event): (0, 5, death), (0, 10, death), (4, 10, censored),
# (7, 20, death). Product-limit over the risk sets entry < t <= time, by hand: at t=5 three at
# risk, one death: 2/3; at t=10 subjects 2, 3 and 4 (entered at 7): 2/3 x 2/3 = 4/9; at t=20
# one at risk, one death: 0. Ignoring the late entries would give 3/4 and 1/2.
TRUNCATED = ([5, 10, 10, 20], [True, True, False, True], [0, 0, 4, 7])


def test_kaplan_meier_with_delayed_entry_uses_the_left_truncated_risk_sets():
    durations, events, entries = TRUNCATED
    km = stats.kaplan_meier(durations, events, entry=entries, at_risk_times=(0, 5, 8))
    assert km.survival_at(5) == pytest.approx(2 / 3)
    assert km.survival_at(10) == pytest.approx(4 / 9)
    assert km.survival_at(20) == 0
    # Under observation at day 0: the two who entered at 0; at day 5: those two and the one
    # who entered at 4; at day 8: the three still followed (the first died at 5).
    assert km.at_risk == ((0, 2), (5, 3), (8, 3))
    naive = stats.kaplan_meier(durations, events)
    assert naive.survival_at(10) == pytest.approx(1 / 2)


def test_kaplan_meier_refuses_an_entry_after_the_end_of_follow_up():
    with pytest.raises(ValueError, match="entry"):
        stats.kaplan_meier([5], [True], entry=[6])


def test_logrank_with_delayed_entry_matches_the_textbook_test_without_late_entries():
    data = SIX_MP + PLACEBO
    groups = ["6-MP"] * len(SIX_MP) + ["placebo"] * len(PLACEBO)
    result = stats.logrank_delayed_entry([t for t, _ in data], [e for _, e in data], groups,
                                         [0] * len(data))
    assert round(result.statistic, 2) == 16.79 and result.degrees_of_freedom == 1


def test_logrank_with_delayed_entry_by_hand():
    # Group A: (entry 0, 2, death), (0, 4, death); group B: (3, 5, death), (0, 6, censored).
    # t=2: at risk A2 B1 (B's first enters at 3), E_A = 2/3, V = 2/9; t=4: at risk A1 B2,
    # E_A = 1/3, V = 2/9; t=5: only B at risk, E_A = 0. O_A - E_A = 1, V = 4/9: chi² = 2.25.
    result = stats.logrank_delayed_entry([2, 4, 5, 6], [True, True, True, False],
                                         ["A", "A", "B", "B"], [0, 0, 3, 0])
    assert result.statistic == pytest.approx(2.25)
    assert result.p_value == pytest.approx(0.13361, abs=1e-5)
    untruncated = stats.logrank_delayed_entry([2, 4, 5, 6], [True, True, True, False],
                                              ["A", "A", "B", "B"], [0, 0, 0, 0])
    assert untruncated.statistic == pytest.approx(1.1666667 ** 2 / 0.4722222, rel=1e-5)


def test_os_enters_patients_at_consent_when_the_drug_started_before(cohort):
    _, died, _, censored = cohort
    rows = {r.patient.pk: r for r in survival.patient_survival(
        [Patient.objects.select_related("enrolment").get(pk=p.pk) for p in (died, censored)])}
    for patient in (died, censored):
        gap = (patient.consent_date - patient.enrolment.day1).days
        assert rows[patient.pk].os_entry_days == max(0, min(gap, rows[patient.pk].os_days))


def test_the_outcomes_page_says_os_has_delayed_entry(client, cohort):
    client.force_login(cohort[0])
    page = client.get(reverse("study-outcomes", args=["PALMARES-2"])).content.decode()
    assert "Delayed entry (left truncation)" in page
    assert "at risk only from study entry (consent)" in page
    assert "onset during line-1 exposure" in page


def _severe_event(coordinator, patient, onset):
    from visits.crf import services as crf_services
    from visits.models import Visit

    visit = next(v for v in Visit.objects.select_related(
        "patient__site__study", "patient__enrolment").filter(patient=patient)
        .order_by("target_date") if "adverse_events" in v.forms)
    crf_services.adverse_event_create(actor=coordinator, visit=visit, values={
        "term": "Neutrophil count decreased", "grade": 3, "start_date": onset,
        "end_date": None, "serious": False, "relation_cdk46i": "probable",
        "relation_endocrine": "unlikely", "action_taken": "interrupted", "outcome": "recovering"})


def test_severe_toxicity_counts_only_onsets_during_line_1_exposure(cohort):
    coordinator, _, progressed, _ = cohort
    day1 = progressed.enrolment.day1
    line1_stop = day1 + timedelta(days=100)
    rwd_services.line_record(actor=coordinator, patient=progressed, number=2,
                             drugs=["CAPECITABINE"], start_date=line1_stop + timedelta(days=1))

    def severe():
        patient = Patient.objects.select_related("enrolment").get(pk=progressed.pk)
        return survival.patient_survival([patient])[0].severe_toxicity

    # Grade 3 neutropenia on second-line capecitabine, 31 days after line 1 stopped.
    _severe_event(coordinator, progressed, line1_stop + timedelta(days=31))
    assert severe() is False
    # The same toxicity 30 days after line 1 stopped is still line-1 exposure.
    _severe_event(coordinator, progressed, line1_stop + timedelta(days=30))
    assert severe() is True
