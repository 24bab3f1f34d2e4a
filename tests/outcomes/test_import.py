"""Importing a core-lab RECIST 1.1 document: all of it through the services, or nothing."""

import hashlib
import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from enrollment.models import Enrolment
from outcomes.models import (
    NonTargetLesion,
    NonTargetStatus,
    TargetLesion,
    TargetMeasurement,
    TumourAssessment,
)
from tests.factories import enrol
from trialsite.models import Role
from visits.models import Visit

TODAY = date(2026, 2, 1)
MODELS = (TargetLesion, NonTargetLesion, TumourAssessment, TargetMeasurement, NonTargetStatus)


@pytest.fixture
def enrolled(world, coordinator):
    return enrol(world.patient_a1, coordinator=coordinator, today=TODAY)


def document(patient, followups=None):
    day1 = patient.enrolment.day1
    return {
        "subject_id": patient.subject_id,
        "reference_date": day1.isoformat(),
        "baseline": {"date": (day1 - timedelta(days=7)).isoformat(),
                     "targets": [{"id": "T1", "organ": "liver", "diameter_mm": 50},
                                 {"id": "T2", "organ": "lung", "diameter_mm": 30}],
                     "nontargets": [{"id": "NT1", "organ": "bone"}]},
        "followups": followups if followups is not None else [
            {"date": (day1 + timedelta(days=56)).isoformat(), "targets": {"T1": 35, "T2": 20},
             "nontargets": {"NT1": "PRESENT"}, "new_lesions": "NO"},
            {"date": (day1 + timedelta(days=91)).isoformat(), "targets": {"T1": 34, "T2": 19},
             "nontargets": {"NT1": "PRESENT"}, "new_lesions": "NO"},
        ],
    }


def run(tmp_path, doc, username="coordinator-a1", name="corelab.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    out = StringIO()
    code = 0
    try:
        call_command("import_tumour_assessments", str(path), "--as", username, stdout=out)
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(out.getvalue()), hashlib.sha256(path.read_bytes()).hexdigest()


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_import_saves_baseline_and_followups_with_the_file_hash_in_the_trail(
        tmp_path, enrolled):
    code, result, sha = run(tmp_path, document(enrolled))
    assert code == 0, result
    day1 = enrolled.enrolment.day1
    assert result == {
        "subject_id": enrolled.subject_id,
        "baseline_date": (day1 - timedelta(days=7)).isoformat(),
        "baseline_recorded": True, "followups": 2,
        # Day 56 is M2, which has no imaging; day 91 is inside M3's window (day 84 ± 7).
        "visits": [None, "M3"],
        # PR (−31 %) confirmed 35 days later.
        "best_overall_response": "PR", "progression_date": None, "sha256": sha,
    }
    assert counts() == {"TargetLesion": 2, "NonTargetLesion": 1, "TumourAssessment": 2,
                        "TargetMeasurement": 4, "NonTargetStatus": 2}
    assessments = list(TumourAssessment.objects.filter(patient=enrolled))
    assert [a.computed_response for a in assessments] == ["PR", "PR"]
    assert [a.visit.code if a.visit else None for a in assessments] == [None, "M3"]
    m3 = Visit.objects.get(patient=enrolled, code="M3")
    assert "tumour_assessment" in m3.entered_forms
    assert m3.actual_date == day1 + timedelta(days=91)
    reason = f"Imported from core-lab file corelab.json sha256:{sha}"
    for model in MODELS:
        rows = list(model.history.all())
        assert rows and all(r.history_change_reason == reason for r in rows), model
        assert all(r.history_user.username == "coordinator-a1" for r in rows)
        assert all(r.history_type == "+" for r in rows)


def test_an_invalid_followup_refuses_the_whole_file(tmp_path, enrolled):
    doc = document(enrolled)
    doc["followups"][1]["targets"] = {"T1": 34, "T9": 19}  # no such lesion
    before = counts()
    code, result, _ = run(tmp_path, doc)
    assert code == 2
    assert result["error"]["code"] == "UNKNOWN_LESION_ID"
    assert counts() == before == dict.fromkeys(before, 0)


def test_a_followup_refused_by_the_services_rolls_back_the_baseline(tmp_path, enrolled):
    doc = document(enrolled)
    doc["followups"][1]["date"] = (date.today() + timedelta(days=30)).isoformat()
    code, result, _ = run(tmp_path, doc)
    assert code == 2
    assert result["error"]["code"] == "INVALID_VALUE"
    assert "followups[1]" in result["error"]["message"]
    assert "future" in result["error"]["message"]
    assert counts() == dict.fromkeys(counts(), 0)


def test_an_overall_only_followup_is_imported_as_reported(tmp_path, enrolled):
    doc = document(enrolled)
    doc["followups"][1] = {"date": doc["followups"][1]["date"], "overall": "PR"}
    code, result, sha = run(tmp_path, doc)
    assert code == 0, result
    # The measured PR (−31 %) confirmed by the PR reported from elsewhere.
    assert (result["followups"], result["best_overall_response"]) == (2, "PR")
    first, second = TumourAssessment.objects.filter(patient=enrolled).order_by(
        "assessment_date")
    assert (first.reported_response, first.measurements.count()) == ("", 2)
    assert (second.reported_response, second.computed_response) == ("PR", "PR")
    assert second.new_lesions == ""
    assert not second.measurements.exists() and not second.statuses.exists()
    assert second.history.get().history_change_reason == (
        f"Imported from core-lab file corelab.json sha256:{sha}")


def test_an_overall_only_pd_records_progression(tmp_path, enrolled):
    doc = document(enrolled)
    doc["followups"][1] = {"date": doc["followups"][1]["date"], "overall": "PD"}
    code, result, _ = run(tmp_path, doc)
    assert code == 0, result
    assert result["progression_date"] == doc["followups"][1]["date"]


def test_unknown_subject_is_refused(tmp_path, enrolled):
    doc = document(enrolled)
    doc["subject_id"] = "NOPE-999"
    code, result, _ = run(tmp_path, doc)
    assert code == 2
    assert result["error"] == {"code": "INVALID_VALUE", "message": "unknown subject 'NOPE-999'"}


def test_a_user_who_may_not_enter_data_is_refused(tmp_path, enrolled, world):
    for username in ("monitor-a1", "nobody"):
        code, result, _ = run(tmp_path, document(enrolled), username=username)
        assert (code, result["error"]["code"]) == (2, "INVALID_VALUE")
    assert counts() == dict.fromkeys(counts(), 0)
    assert world.users[Role.MONITOR].username == "monitor-a1"


def test_a_patient_not_enrolled_is_refused(tmp_path, world):
    doc = {"subject_id": world.patient_a1.subject_id, "reference_date": "2026-01-29",
           "baseline": {"date": "2026-01-20",
                        "targets": [{"id": "T1", "organ": "liver", "diameter_mm": 50}]}}
    code, result, _ = run(tmp_path, doc)
    assert (code, result["error"]["code"]) == (2, "INVALID_VALUE")
    assert "not enrolled" in result["error"]["message"]


def test_baseline_too_long_before_day1_is_refused(tmp_path, enrolled):
    doc = document(enrolled)
    doc["baseline"]["date"] = (enrolled.enrolment.day1 - timedelta(days=29)).isoformat()
    code, result, _ = run(tmp_path, doc)
    assert (code, result["error"]["code"]) == (2, "INVALID_VALUE")
    assert "28 days before day 1" in result["error"]["message"]


def test_an_identical_baseline_is_kept_and_a_different_one_refused(tmp_path, enrolled):
    doc = document(enrolled)
    followups = doc["followups"]
    doc["followups"] = followups[:1]
    assert run(tmp_path, doc)[0] == 0
    doc["followups"] = followups[1:]
    code, result, _ = run(tmp_path, doc, name="second.json")
    assert code == 0, result
    assert (result["baseline_recorded"], result["best_overall_response"]) == (False, "PR")
    assert TargetLesion.objects.count() == 2 and TumourAssessment.objects.count() == 2
    doc["baseline"]["targets"][0]["diameter_mm"] = 51
    doc["followups"] = []
    code, result, _ = run(tmp_path, doc)
    assert (code, result["error"]["code"]) == (2, "INVALID_VALUE")
    assert "different baseline" in result["error"]["message"]


def test_progression_in_the_file_cancels_later_visits_and_schedules_eot(tmp_path, enrolled):
    day1 = enrolled.enrolment.day1
    doc = document(enrolled, followups=[
        {"date": (day1 + timedelta(days=56)).isoformat(), "targets": {"T1": 35, "T2": 20},
         "nontargets": {"NT1": "PRESENT"}, "new_lesions": "NO"},
        {"date": (day1 + timedelta(days=84)).isoformat(), "targets": {"T1": 48, "T2": 25},
         "nontargets": {"NT1": "PRESENT"}, "new_lesions": "NO"},
    ])
    code, result, _ = run(tmp_path, doc)
    assert code == 0, result
    pd_date = day1 + timedelta(days=84)
    assert result["progression_date"] == pd_date.isoformat()
    assert result["best_overall_response"] == "SD"  # the PR is not confirmed before PD
    enrolment = Enrolment.objects.get(patient=enrolled)
    assert (enrolment.progression_date, enrolment.progression_basis) == (pd_date, "radiological")
    status = dict(Visit.objects.filter(patient=enrolled).values_list("code", "status"))
    assert status["M6"] == "cancelled"
    assert "EOT" in status
