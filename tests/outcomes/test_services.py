"""Tumour baseline and follow-up services: RECIST refusals, responses, progression, audit."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from enrollment import services as patient_services
from enrollment.models import Enrolment, Patient
from outcomes import selectors, services
from outcomes.models import TargetLesion, TumourAssessment
from tests.factories import enrol
from visits.models import Visit

TODAY = date(2026, 2, 1)
BASELINE_DAY = date(2026, 1, 20)


def target(lesion_id, organ, mm, nodal=False):
    return {"lesion_id": lesion_id, "organ": organ, "diameter_mm": Decimal(mm), "nodal": nodal}


@pytest.fixture
def on_treatment(world, coordinator):
    patient = enrol(world.patient_a1, coordinator=coordinator, today=TODAY)
    return patient_services.patient_change_status(
        actor=coordinator, patient=patient, status="on_treatment", reason="Dosed")


@pytest.fixture
def with_baseline(on_treatment, coordinator):
    services.baseline_record(actor=coordinator, patient=on_treatment, date=BASELINE_DAY,
                             targets=[target("T1", "liver", "50")],
                             nontargets=[{"lesion_id": "NT1", "organ": "bone"}])
    return on_treatment


def visit(patient, code):
    return Visit.objects.select_related("patient__site__study").get(patient=patient, code=code)


def refusal(patient, actor, targets, nontargets=()):
    with pytest.raises(ValidationError) as excinfo:
        services.baseline_record(actor=actor, patient=patient, date=BASELINE_DAY,
                                 targets=targets, nontargets=list(nontargets))
    return excinfo.value.message_dict


@pytest.mark.parametrize("targets, nontargets, field, words", [
    ([target(f"T{i}", organ, "20") for i, organ in
      enumerate(["liver", "lung", "bone", "skin", "spleen", "kidney"], 1)], [],
     "targets", "at most 5"),
    ([target("T1", "liver", "20"), target("T2", "liver", "20"), target("T3", "liver", "20")],
     [], "targets-2-organ", "at most 2 per organ"),
    ([target("T1", "liver", "20"), target("T2", "lung", "9.9")], [],
     "targets-1-diameter_mm", "non-nodal target needs at least 10"),
    ([target("T1", "lymph node", "14.9", nodal=True)], [],
     "targets-0-diameter_mm", "target node needs at least 15"),
    ([target("T1", "liver", "-1")], [], "targets-0-diameter_mm", "negative"),
    ([target("T1", "liver", "20")], [{"lesion_id": "T1", "organ": "bone"}],
     "nontargets-0-lesion_id", "more than once"),
])
def test_baseline_refusals_are_put_on_their_field(on_treatment, coordinator, targets,
                                                  nontargets, field, words):
    errors = refusal(on_treatment, coordinator, targets, nontargets)
    assert list(errors) == [field]
    assert words in errors[field][0]
    assert not TargetLesion.objects.filter(patient=on_treatment).exists()


def test_baseline_is_recorded_with_its_audit_user(with_baseline, coordinator):
    lesion = TargetLesion.objects.get(patient=with_baseline)
    row = lesion.history.get()
    assert row.history_user == coordinator and row.history_change_reason
    with pytest.raises(ValidationError, match="already recorded"):
        services.baseline_record(actor=coordinator, patient=with_baseline, date=BASELINE_DAY,
                                 targets=[target("T1", "liver", "50")], nontargets=[])


def test_partial_response_exactly_at_minus_30_percent(with_baseline, coordinator):
    m3 = visit(with_baseline, "M3")
    m3.patient = with_baseline
    assessment = services.assessment_record(
        actor=coordinator, patient=with_baseline, visit=m3, date=m3.target_date,
        measurements={"T1": Decimal("35")}, statuses={"NT1": "PRESENT"}, new_lesions="NO")
    assert assessment.computed_response == "PR" and not assessment.disagreement
    working = selectors.working(Patient.objects.select_related("enrolment").get(
        pk=with_baseline.pk))
    row = working["rows"][0]
    assert (row.point.target, row.point.overall) == ("PR", "PR")
    assert row.change_from_baseline_mm == Decimal("-15")
    assert row.change_from_baseline_pct == "-30.0 %"
    m3.refresh_from_db()
    assert "tumour_assessment" in m3.entered_forms
    assert Enrolment.objects.get(patient=with_baseline).progression_date is None


def test_entering_the_form_keeps_the_other_entered_forms(with_baseline, coordinator):
    m3 = visit(with_baseline, "M3")
    m3.entered_forms = ["vital_signs"]
    m3._history_user = coordinator
    m3._change_reason = "test"
    m3.save()
    m3.patient = with_baseline
    services.assessment_record(
        actor=coordinator, patient=with_baseline, visit=m3, date=m3.target_date,
        measurements={"T1": Decimal("45")}, statuses={"NT1": "PRESENT"}, new_lesions="NO")
    m3.refresh_from_db()
    assert m3.entered_forms == ["tumour_assessment", "vital_signs"]


def test_progression_is_recorded_once(with_baseline, coordinator, monkeypatch):
    from visits import services as visit_services

    calls = []
    real = visit_services.record_progression
    monkeypatch.setattr(visit_services, "record_progression",
                        lambda **kw: calls.append(kw) or real(**kw))
    m3 = visit(with_baseline, "M3")
    m3.patient = with_baseline
    services.assessment_record(
        actor=coordinator, patient=with_baseline, visit=m3, date=m3.target_date,
        measurements={"T1": Decimal("61")}, statuses={"NT1": "PRESENT"}, new_lesions="NO")
    assert len(calls) == 1 and calls[0]["basis"] == "radiological"
    enrolment = Enrolment.objects.get(patient=with_baseline)
    assert (enrolment.progression_date, enrolment.progression_basis) == (
        m3.target_date, "radiological")
    status = dict(Visit.objects.filter(patient=with_baseline).values_list("code", "status"))
    assert status["M6"] == "cancelled"
    assert "EOT" in status
    # A later PD (unscheduled) does not record progression again.
    patient = Patient.objects.select_related("site__study", "enrolment").get(pk=with_baseline.pk)
    services.assessment_record(
        actor=coordinator, patient=patient, visit=None, date=m3.target_date + timedelta(days=30),
        measurements={"T1": Decimal("70")}, statuses={"NT1": "PRESENT"}, new_lesions="YES",
        new_lesion_site="lung")
    assert len(calls) == 1


def test_investigator_disagreement_is_flagged(with_baseline, coordinator):
    m3 = visit(with_baseline, "M3")
    m3.patient = with_baseline
    assessment = services.assessment_record(
        actor=coordinator, patient=with_baseline, visit=m3, date=m3.target_date,
        measurements={"T1": Decimal("45")}, statuses={"NT1": "PRESENT"}, new_lesions="NO",
        investigator_response="PR")
    assert (assessment.computed_response, assessment.disagreement) == ("SD", True)
    row = assessment.history.get()
    assert row.history_user == coordinator


def test_follow_up_refusals(with_baseline, coordinator):
    m3 = visit(with_baseline, "M3")
    m3.patient = with_baseline
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_record(
            actor=coordinator, patient=with_baseline, visit=m3, date=BASELINE_DAY,
            measurements={"T1": Decimal("45")}, statuses={"NT1": "PRESENT"}, new_lesions="NO")
    assert "date" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_record(
            actor=coordinator, patient=with_baseline, visit=m3, date=m3.target_date,
            measurements={"T1": Decimal("-1")}, statuses={"NT1": "PRESENT"}, new_lesions="NO")
    assert "target_T1" in excinfo.value.message_dict
    assert not TumourAssessment.objects.exists()


# --- follow-ups carrying only an overall response assessed elsewhere ---------------------------


def _reload(patient):
    return Patient.objects.select_related("site__study", "enrolment").get(pk=patient.pk)


def test_a_reported_response_is_stored_without_readings(with_baseline, coordinator):
    m3 = visit(with_baseline, "M3")
    m3.patient = with_baseline
    assessment = services.assessment_record(
        actor=coordinator, patient=with_baseline, visit=m3, date=m3.target_date,
        reported_response="PR")
    assert (assessment.reported_response, assessment.computed_response) == ("PR", "PR")
    assert assessment.new_lesions == "" and not assessment.disagreement
    assert not assessment.measurements.exists() and not assessment.statuses.exists()
    assert assessment.history.get().history_user == coordinator
    row = selectors.working(_reload(with_baseline))["rows"][0]
    assert (row.point.overall, row.point.sum_mm, row.point.target) == ("PR", None, None)
    m3.refresh_from_db()
    assert "tumour_assessment" in m3.entered_forms


def test_a_reported_response_with_readings_or_unknown_is_refused(with_baseline, coordinator):
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_record(
            actor=coordinator, patient=with_baseline, visit=None, date=TODAY,
            measurements={"T1": Decimal("45")}, reported_response="PR")
    assert "not both" in excinfo.value.message_dict["__all__"][0]
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_record(actor=coordinator, patient=with_baseline, visit=None,
                                   date=TODAY, reported_response="GOOD")
    assert "reported_response" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_record(actor=coordinator, patient=with_baseline, visit=None,
                                   date=TODAY, measurements={"T1": Decimal("45")},
                                   statuses={"NT1": "PRESENT"})
    assert "new_lesions" in excinfo.value.message_dict
    assert not TumourAssessment.objects.exists()


def test_reported_responses_count_in_the_best_overall_response(with_baseline, coordinator,
                                                               world):
    from outcomes import reports
    from trialsite.models import Role

    day1 = Enrolment.objects.get(patient=with_baseline).day1
    # A measured PR (−30 %) confirmed by a PR reported from elsewhere 35 days later.
    services.assessment_record(
        actor=coordinator, patient=with_baseline, visit=None, date=day1 + timedelta(days=56),
        measurements={"T1": Decimal("35")}, statuses={"NT1": "PRESENT"}, new_lesions="NO")
    services.assessment_record(actor=coordinator, patient=_reload(with_baseline), visit=None,
                               date=day1 + timedelta(days=91), reported_response="PR")
    working = selectors.working(_reload(with_baseline))
    assert [r.point.overall for r in working["rows"]] == ["PR", "PR"]
    assert working["best"] == "PR"
    rows = {r.subject_id: reports.endpoint_row(r)
            for r in reports.study_endpoints(world.users[Role.SPONSOR])}
    assert rows[with_baseline.subject_id]["bor"] == "PR"


def test_a_reported_pd_records_progression_once(with_baseline, coordinator, monkeypatch):
    from visits import services as visit_services

    calls = []
    real = visit_services.record_progression
    monkeypatch.setattr(visit_services, "record_progression",
                        lambda **kw: calls.append(kw) or real(**kw))
    m3 = visit(with_baseline, "M3")
    m3.patient = with_baseline
    services.assessment_record(actor=coordinator, patient=with_baseline, visit=m3,
                               date=m3.target_date, reported_response="PD")
    assert len(calls) == 1 and calls[0]["basis"] == "radiological"
    enrolment = Enrolment.objects.get(patient=with_baseline)
    assert (enrolment.progression_date, enrolment.progression_basis) == (
        m3.target_date, "radiological")
    status = dict(Visit.objects.filter(patient=with_baseline).values_list("code", "status"))
    assert status["M6"] == "cancelled" and "EOT" in status
    services.assessment_record(actor=coordinator, patient=_reload(with_baseline), visit=None,
                               date=m3.target_date + timedelta(days=30),
                               reported_response="PD")
    assert len(calls) == 1


# --- corrections and voids ----------------------------------------------------------------------


@pytest.fixture
def two_followups(with_baseline, coordinator):
    """A PR (−30 %) at day 56 confirmed by a PR at day 91: BOR PR."""
    day1 = Enrolment.objects.get(patient=with_baseline).day1
    first = services.assessment_record(
        actor=coordinator, patient=with_baseline, visit=None, date=day1 + timedelta(days=56),
        measurements={"T1": Decimal("35")}, statuses={"NT1": "PRESENT"}, new_lesions="NO")
    second = services.assessment_record(
        actor=coordinator, patient=_reload(with_baseline), visit=None,
        date=day1 + timedelta(days=91), measurements={"T1": Decimal("34")},
        statuses={"NT1": "PRESENT"}, new_lesions="NO", investigator_response="PR")
    return first, second


def _assessment(pk):
    return TumourAssessment.objects.select_related("patient__site").get(pk=pk)


def test_a_correction_needs_a_reason_and_the_current_version(two_followups, coordinator):
    from trialsite.audit import StaleVersion

    first, _ = two_followups
    assessment = _assessment(first.pk)
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_update(actor=coordinator, assessment=assessment,
                                   expected_version=assessment.version, reason="  ",
                                   measurements={"T1": Decimal("40")},
                                   statuses={"NT1": "PRESENT"})
    assert "reason" in excinfo.value.message_dict
    with pytest.raises(StaleVersion):
        services.assessment_update(actor=coordinator, assessment=assessment,
                                   expected_version=assessment.version + 1,
                                   reason="Misread", measurements={"T1": Decimal("40")},
                                   statuses={"NT1": "PRESENT"})
    assert _assessment(first.pk).measurements.get().diameter_mm == Decimal("35")


def test_a_correction_is_audited_and_later_responses_recomputed(two_followups, coordinator):
    first, second = two_followups
    assessment = _assessment(first.pk)
    # 35 mm was misread: 45 mm is SD, so the later 34 mm (−32 % from baseline) is a PR that
    # is no longer a confirmation; the investigator's PR there still agrees.
    services.assessment_update(actor=coordinator, assessment=assessment,
                               expected_version=assessment.version,
                               reason="Transcription error", measurements={"T1": Decimal("45")},
                               statuses={"NT1": "PRESENT"})
    assessment = _assessment(first.pk)
    assert assessment.computed_response == "SD"
    measurement = assessment.measurements.get()
    assert measurement.diameter_mm == Decimal("45")
    row = measurement.history.order_by("-history_id").first()
    assert (row.history_user, row.history_change_reason) == (coordinator,
                                                             "Transcription error")
    row = assessment.history.order_by("-history_id").first()
    assert row.history_user == coordinator and "Transcription error" in row.history_change_reason
    working = selectors.working(_reload(first.patient))
    assert [r.point.overall for r in working["rows"]] == ["SD", "PR"]
    assert working["best"] == "SD"


def test_a_void_needs_a_reason_and_is_left_out_of_the_bor(two_followups, coordinator):
    first, second = two_followups
    assessment = _assessment(second.pk)
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_void(actor=coordinator, assessment=assessment, reason="")
    assert "reason" in excinfo.value.message_dict
    assert selectors.working(_reload(first.patient))["best"] == "PR"
    services.assessment_void(actor=coordinator, assessment=assessment,
                             reason="Scan belongs to another patient")
    voided = _assessment(second.pk)
    assert voided.is_voided
    row = voided.history.order_by("-history_id").first()
    assert row.history_user == coordinator
    assert row.history_change_reason == "Voided: Scan belongs to another patient"
    working = selectors.working(_reload(first.patient))
    assert [r.assessment.pk for r in working["rows"]] == [first.pk]
    assert working["best"] == "SD"  # the PR is no longer confirmed


def test_voiding_recomputes_the_later_responses(with_baseline, coordinator):
    day1 = Enrolment.objects.get(patient=with_baseline).day1
    dates = [day1 + timedelta(days=d) for d in (56, 91)]
    # 30 mm sets the nadir, so 37 mm later is PD (+23 %, +7 mm) ...
    first = services.assessment_record(
        actor=coordinator, patient=with_baseline, visit=None, date=dates[0],
        measurements={"T1": Decimal("30")}, statuses={"NT1": "PRESENT"}, new_lesions="NO")
    patient = _reload(with_baseline)
    second = services.assessment_record(
        actor=coordinator, patient=patient, visit=None, date=dates[1],
        measurements={"T1": Decimal("37")}, statuses={"NT1": "PRESENT"}, new_lesions="NO",
        investigator_response="PR")
    assert (second.computed_response, second.disagreement) == ("PD", True)
    # ... but without the first reading the nadir is the baseline's 50 mm: −26 % is SD.
    services.assessment_void(actor=coordinator, assessment=_assessment(first.pk),
                             reason="Wrong patient")
    second = _assessment(second.pk)
    assert second.computed_response == "SD" and second.disagreement
    assert "Recomputed after" in second.history.order_by("-history_id").first(
    ).history_change_reason


def test_a_voided_assessment_frees_its_visit_and_date_for_the_corrected_entry(
        with_baseline, coordinator):
    m3 = visit(with_baseline, "M3")
    first = services.assessment_record(
        actor=coordinator, patient=with_baseline, visit=m3, date=m3.target_date,
        measurements={"T1": Decimal("45")}, statuses={"NT1": "PRESENT"}, new_lesions="NO")
    assert "tumour_assessment" in visit(with_baseline, "M3").entered_forms
    services.assessment_void(actor=coordinator, assessment=_assessment(first.pk),
                             reason="Entered at the wrong visit")
    m3 = visit(with_baseline, "M3")
    assert "tumour_assessment" not in m3.entered_forms
    assert m3.history.order_by("-history_id").first().history_change_reason == (
        "Tumour assessment voided: Entered at the wrong visit")
    assert selectors.assessment_at(m3) is None
    again = services.assessment_record(
        actor=coordinator, patient=_reload(with_baseline), visit=m3, date=m3.target_date,
        measurements={"T1": Decimal("44")}, statuses={"NT1": "PRESENT"}, new_lesions="NO")
    assert selectors.assessment_at(m3).pk == again.pk
    assert TumourAssessment.objects.filter(visit=m3).count() == 2  # the voided one stays
    assert "tumour_assessment" in visit(with_baseline, "M3").entered_forms


def test_a_progression_no_longer_shown_by_the_assessments_is_flagged_not_withdrawn(
        with_baseline, coordinator):
    day1 = Enrolment.objects.get(patient=with_baseline).day1
    pd = services.assessment_record(
        actor=coordinator, patient=with_baseline, visit=None, date=day1 + timedelta(days=56),
        measurements={"T1": Decimal("61")}, statuses={"NT1": "PRESENT"}, new_lesions="NO")
    assert Enrolment.objects.get(patient=with_baseline).progression_date == pd.assessment_date
    assert selectors.working(_reload(with_baseline))["progression_review"] is None
    # 61 mm was a typo for 51 mm: SD, no progression any more.
    assessment = _assessment(pd.pk)
    services.assessment_update(actor=coordinator, assessment=assessment,
                               expected_version=assessment.version, reason="Typo",
                               measurements={"T1": Decimal("51")}, statuses={"NT1": "PRESENT"})
    enrolment = Enrolment.objects.get(patient=with_baseline)
    assert enrolment.progression_date == pd.assessment_date  # never silently withdrawn
    review = selectors.working(_reload(with_baseline))["progression_review"]
    assert review.startswith(f"Progression is recorded on {pd.assessment_date:%Y-%m-%d}")
    assert "show no progression" in review


def test_the_baseline_must_be_within_the_protocol_window_before_day_1(on_treatment,
                                                                       coordinator):
    day1 = Enrolment.objects.get(patient=on_treatment).day1
    for when in (day1 - timedelta(days=29), day1 + timedelta(days=1)):
        with pytest.raises(ValidationError) as excinfo:
            services.baseline_record(actor=coordinator, patient=on_treatment, date=when,
                                     targets=[target("T1", "liver", "50")], nontargets=[])
        assert "within 28 days before day 1" in excinfo.value.message_dict["date"][0]
    services.baseline_record(actor=coordinator, patient=on_treatment,
                             date=day1 - timedelta(days=28),
                             targets=[target("T1", "liver", "50")], nontargets=[])
    assert TargetLesion.objects.filter(patient=on_treatment).count() == 1
