"""The study outcomes page and the endpoints API: rates, PFS, figures, visibility, queries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollment.models import Enrolment
from outcomes import reports
from outcomes.models import (
    NonTargetLesion,
    NonTargetStatus,
    TargetLesion,
    TargetMeasurement,
    TumourAssessment,
)
from tests.factories import register_patient
from trialsite.audit import audited_save, bulk_create_audited
from trialsite.models import Role
from trialsite.services import system_user

DAY1 = date(2026, 1, 12)
VIEWERS = [Role.COORDINATOR, Role.INVESTIGATOR, Role.MONITOR, Role.DATA_MANAGER, Role.SPONSOR]


def enrolled(patient, *, day1=DAY1, progression=None):
    audited_save(Enrolment(patient=patient, day1=day1, cdk46i="palbociclib",
                           cdk46i_start_dose_mg=Decimal("125"), endocrine="letrozole",
                           progression_date=progression,
                           progression_basis="clinical" if progression else ""),
                 actor=system_user())
    return patient


def tumour(patient, baseline_mm, readings, *, day1=DAY1):
    """One liver target (and a bone non-target) at baseline, then ``(day, mm)`` readings."""
    actor = system_user()
    lesion = audited_save(TargetLesion(patient=patient, lesion_id="T1", organ="liver",
                                       diameter_mm=Decimal(baseline_mm),
                                       baseline_date=day1 - timedelta(days=7)), actor=actor)
    audited_save(NonTargetLesion(patient=patient, lesion_id="NT1", organ="bone",
                                 baseline_date=day1 - timedelta(days=7)), actor=actor)
    for day, mm in readings:
        assessment = audited_save(TumourAssessment(
            patient=patient, assessment_date=day1 + timedelta(days=day), new_lesions="NO"),
            actor=actor)
        bulk_create_audited(TargetMeasurement, [TargetMeasurement(
            assessment=assessment, lesion=lesion, state="measured", diameter_mm=Decimal(mm))],
            actor=actor)
    return patient


@pytest.fixture
def cohort(world):
    """A1: confirmed PR (50 → 30 → 28 mm); A2: PD at day 56 (50 → 65 mm); B1: foreign study."""
    responder = tumour(enrolled(world.patient_a1), "50", [(56, "30"), (112, "28"), (200, "27")])
    progressor = tumour(enrolled(world.patient_a2), "50", [(56, "65")])
    tumour(enrolled(world.patient_b1), "40", [(56, "20"), (112, "20")])
    return responder, progressor


def page(client, user, study, **query):
    client.force_login(user)
    return client.get(reverse("study-outcomes", args=[study.code]), query)


def test_the_endpoints_are_computed_per_patient(world, cohort):
    user = world.users[Role.SPONSOR]
    rows = {r.subject_id: reports.endpoint_row(r)
            for r in reports.study_endpoints(user, study=world.study_a)}
    responder, progressor = cohort
    assert rows[responder.subject_id] == {
        "subject_id": responder.subject_id, "site": "AONE", "bor": "PR",
        "objective_response": True, "clinical_benefit": True,
        "objective_clinical_benefit": True, "early_progression": False,
        "pfs_days": 200, "pfs_event": False}
    assert rows[progressor.subject_id]["bor"] == "PD"
    assert rows[progressor.subject_id]["pfs_days"] == 56
    assert rows[progressor.subject_id]["pfs_event"] is True
    assert rows[progressor.subject_id]["early_progression"] is True


@pytest.mark.parametrize("role", VIEWERS)
def test_the_page_shows_rates_pfs_and_figures(client, world, cohort, role):
    response = page(client, world.users[role], world.study_a)
    assert response.status_code == 200
    body = response.content.decode()
    responder, progressor = cohort
    assert responder.subject_id in body
    assert world.patient_b1.subject_id not in body
    if role in (Role.DATA_MANAGER, Role.SPONSOR):
        assert progressor.subject_id in body
        assert "1/2 (50.0 %, 95 % CI 1.3–98.7 %)" in body
        assert 'class="km-curve"' in body and 'class="censor"' in body
        # S(56) = 1/2 after the one progression, so the median is reached at day 56.
        assert '<strong id="pfs-median">56 days (95 % CI' in body
    else:  # a site role sees its own site only
        assert progressor.subject_id not in body
        assert "1/1 (100.0 %, 95 % CI 2.5–100.0 %)" in body
    for figure in ('class="bar"', 'class="lane"', 'class="spider"', "−30 %", "+20 %"):
        assert figure in body


def test_the_site_filter_keeps_one_site(client, world, cohort):
    responder, progressor = cohort
    response = page(client, world.users[Role.SPONSOR], world.study_a, site="ATWO")
    body = response.content.decode()
    assert progressor.subject_id in body and responder.subject_id not in body
    assert "0/1 (0.0 %, 95 % CI 0.0–97.5 %)" in body
    assert response.context["km"].median == 56.0
    foreign = page(client, world.users[Role.SPONSOR], world.study_a, site="BONE")
    assert foreign.status_code == 404
    site_user = page(client, world.users[Role.MONITOR], world.study_a, site="ATWO")
    assert site_user.status_code == 404


def test_a_study_of_no_membership_answers_404(client, world, cohort):
    assert page(client, world.users[Role.SPONSOR], world.study_b).status_code == 404


def test_the_central_lab_sees_no_patient(client, world, cohort):
    response = page(client, world.users[Role.CENTRAL_LAB], world.study_a)
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        body = response.content.decode()
        assert all(p.subject_id not in body for p in cohort)


def _queries(client, user, study):
    page(client, user, study)  # the first request after a login pays for the session once
    with CaptureQueriesContext(connection) as queries:
        assert page(client, user, study).status_code == 200
    return len(queries)


def test_the_page_queries_do_not_grow_with_patients(client, world):
    user = world.users[Role.SPONSOR]
    tumour(enrolled(world.patient_a1), "50", [(56, "30"), (112, "28")])
    one = _queries(client, user, world.study_a)
    for i in range(24):
        site = world.site_a1 if i % 2 else world.site_a2
        patient = enrolled(register_patient(site), progression=DAY1 + timedelta(days=30 + i)
                           if i % 3 == 0 else None)
        if i % 4:
            tumour(patient, str(30 + i), [(56, str(25 + 2 * i)), (112, str(20 + 3 * i))])
    response = page(client, user, world.study_a)
    assert len(response.context["reports"]) == 25
    many = _queries(client, user, world.study_a)
    assert many == one, many


def test_the_api_lists_the_endpoints_of_visible_patients(client, world, cohort):
    responder, progressor = cohort
    client.force_login(world.users[Role.MONITOR])
    data = client.get("/api/v1/endpoints/").json()
    assert [r["subject_id"] for r in data["results"]] == [responder.subject_id]
    assert data["results"][0]["bor"] == "PR" and data["results"][0]["pfs_event"] is False

    client.force_login(world.users[Role.SPONSOR])
    data = client.get("/api/v1/endpoints/", {"study": world.study_a.code}).json()
    assert {r["subject_id"] for r in data["results"]} == {responder.subject_id,
                                                         progressor.subject_id}
    data = client.get("/api/v1/endpoints/", {"study": world.study_a.code, "site": "ATWO"}).json()
    assert [r["subject_id"] for r in data["results"]] == [progressor.subject_id]
    assert client.get("/api/v1/endpoints/", {"study": world.study_b.code}).status_code == 404
    assert client.get("/api/v1/endpoints/", {"site": "BONE"}).status_code == 404

    client.force_login(world.users[Role.CENTRAL_LAB])
    assert client.get("/api/v1/endpoints/").json()["results"] == []
    client.logout()
    assert client.get("/api/v1/endpoints/").status_code in (401, 403)


# --- issue 13: populations, one PFS, the protocol's statistics, counts that agree ----------


def test_rates_are_over_all_enrolled_with_the_measurable_subset_apart(client, world, cohort):
    # ICRG0201's ITT is "all patients enrolled in the study": a third enrolled patient with
    # no baseline scan is a non-responder, listed with the reason, not dropped.
    unscanned = enrolled(register_patient(world.site_a1))
    response = page(client, world.users[Role.SPONSOR], world.study_a)
    body = response.content.decode()
    itt, measurable = response.context["rates"]
    assert (itt.patients, itt.orr.count, itt.cbr.count) == (3, 1, 1)
    assert (measurable.patients, measurable.orr.count) == (2, 1)
    assert 'id="orr-itt">1/3 (33.3 %' in body
    assert 'id="orr-measurable">1/2 (50.0 %' in body
    assert "Intent-to-treat (ITT): all patients enrolled in the study" in body
    assert "Subset with measurable disease at baseline" in body
    assert (f'{unscanned.subject_id}</a>: no baseline tumour assessment') in body


def test_one_pfs_with_its_rule_under_the_curve_and_simon_lee_limits(client, world, cohort):
    response = page(client, world.users[Role.SPONSOR], world.study_a)
    body = response.content.decode()
    assert "Progression-free survival on the first line" not in body
    assert body.count('id="pfs-median"') == 1
    assert "Censored at the last adequate tumour assessment" in body
    # Two patients, one progression at day 56: S(56) = 0.5 with se 0.354; the lower curve is
    # at 0 (<= 0.5), the upper at 1 never comes down: the upper limit is not reached.
    assert ('<strong id="pfs-median">56 days (95 % CI 56 days – not reached, '
            'Simon and Lee (1982))') in body
    assert "Hypothesis tests one-sided" in body


def test_home_and_outcomes_count_the_same_enrolled_patients(client, world, cohort):
    from enrollment.domain.lifecycle import PatientStatus

    # A patient who died after enrolment is off study, but was enrolled.
    responder, _ = cohort
    responder.status = PatientStatus.OFF_STUDY
    audited_save(responder, actor=system_user(), reason="Died", changed={"status"})
    user = world.users[Role.SPONSOR]
    outcomes = page(client, user, world.study_a).content.decode()
    assert "2 enrolled patients" in outcomes
    home = client.get(reverse("home")).content.decode()
    assert "2 enrolled of a target of" in home


def bone_only(patient, readings, *, day1=DAY1):
    """One bone non-target lesion at baseline (no target), then ``(day, status)`` readings."""
    actor = system_user()
    lesion = audited_save(NonTargetLesion(patient=patient, lesion_id="NT1", organ="bone",
                                          baseline_date=day1 - timedelta(days=7)), actor=actor)
    for day, status in readings:
        assessment = audited_save(TumourAssessment(
            patient=patient, assessment_date=day1 + timedelta(days=day), new_lesions="NO"),
            actor=actor)
        bulk_create_audited(NonTargetStatus, [NonTargetStatus(
            assessment=assessment, lesion=lesion, status=status)], actor=actor)
    return patient


def test_bone_only_disease_reads_non_cr_non_pd_and_counts_for_clinical_benefit(
        client, world, cohort):
    # RECIST 1.1 Table 2: bone-only disease, present at days 84 and 196: NON-CR/NON-PD (never
    # SD), lasting >= 24 weeks: clinical benefit; in the ITT rates, not in the measurable row.
    patient = bone_only(enrolled(register_patient(world.site_a1)),
                        [(84, "PRESENT"), (196, "PRESENT")])
    response = page(client, world.users[Role.SPONSOR], world.study_a)
    row = next(r for r in response.context["rows"] if r["subject_id"] == patient.subject_id)
    assert (row["bor"], row["clinical_benefit"], row["measurable"]) == (
        "NON-CR/NON-PD", True, False)
    itt, measurable = response.context["rates"]
    assert (itt.patients, itt.cbr.count) == (3, 2)
    assert (measurable.patients, measurable.cbr.count) == (2, 1)


def test_sd_at_day_160_then_pd_at_day_252_is_clinical_benefit_on_the_page(client, world):
    # 50 mm -> 45 (SD, day 84) -> 44 (SD, day 160) -> 60 (PD, day 252): SD lasted 252 days.
    patient = tumour(enrolled(world.patient_a1), "50", [(84, "45"), (160, "44"), (252, "60")])
    response = page(client, world.users[Role.SPONSOR], world.study_a)
    row = next(r for r in response.context["rows"] if r["subject_id"] == patient.subject_id)
    assert (row["bor"], row["clinical_benefit"]) == ("SD", True)
    assert 'id="cbr-itt">1/1 (100.0 %' in response.content.decode()
