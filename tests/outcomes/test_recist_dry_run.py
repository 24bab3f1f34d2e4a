"""The core-lab dry run: command and API, on the issue's example document."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from outcomes.api.views import EXAMPLE
from tests.factories import api_key
from trialsite.models import Role

EXPECTED_TIMEPOINT = {"date": "2026-03-30", "sum_mm": 30, "partial_sum_mm": None,
                      "nadir_mm": 50,
                      "pct_change_from_baseline": -40.0, "pct_change_from_nadir": -40.0,
                      "target": "PR", "nontarget": "NON-CR/NON-PD", "overall": "PR"}


def run(document, tmp_path):
    path = tmp_path / "reads.json"
    path.write_text(json.dumps(document))
    out = StringIO()
    call_command("recist_assess", str(path), stdout=out)
    return json.loads(out.getvalue())


def test_dry_run_prints_each_time_point_with_its_working(tmp_path):
    result = run(EXAMPLE, tmp_path)
    assert result["timepoints"] == [EXPECTED_TIMEPOINT]
    # A single PR has no confirming scan ≥ 28 days later (RECIST 1.1 §4.6, non-randomised),
    # and it is ≥ 42 days after day 1, so the best overall response is SD.
    assert result["best_overall_response"] == "SD"
    assert result["first_pd_date"] is None


def test_confirmed_pr_is_the_best_response(tmp_path):
    document = json.loads(json.dumps(EXAMPLE))
    document["followups"].append({"date": "2026-04-27", "targets": {"T1": 31},
                                  "nontargets": {"NT1": "PRESENT"}, "new_lesions": "NO"})
    assert run(document, tmp_path)["best_overall_response"] == "PR"


@pytest.mark.parametrize(
    "change,code",
    [(lambda d: d["baseline"]["targets"][0].__setitem__("diameter_mm", 8),
      "NONNODAL_TOO_SMALL"),
     (lambda d: d["followups"][0]["targets"].__setitem__("T9", 3), "UNKNOWN_LESION_ID"),
     (lambda d: d["followups"][0].__setitem__("date", "2025-12-01"), "UNSORTED_DATES")],
)
def test_invalid_document_prints_an_error_code_and_exits_2(tmp_path, change, code):
    document = json.loads(json.dumps(EXAMPLE))
    change(document)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    out = StringIO()
    with pytest.raises(SystemExit) as excinfo:
        call_command("recist_assess", str(path), stdout=out)
    assert excinfo.value.code == 2
    assert json.loads(out.getvalue())["error"]["code"] == code


def test_malformed_json_is_invalid_value(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("recist_assess", str(path), stdout=out)
    assert json.loads(out.getvalue())["error"]["code"] == "INVALID_VALUE"


def test_api_evaluates_the_same_document(world):
    api = APIClient()
    key = api_key(world.users[Role.SPONSOR])
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post("/api/v1/recist/evaluate", EXAMPLE, format="json")
    assert response.status_code == 200
    assert response.json()["timepoints"] == [EXPECTED_TIMEPOINT]
    bad = api.post("/api/v1/recist/evaluate", {"baseline": {}}, format="json")
    assert bad.status_code == 400 and "code" in bad.json()["error"]
    assert APIClient().post("/api/v1/recist/evaluate", EXAMPLE, format="json").status_code in (
        401, 403)


def test_a_document_naming_its_study_follows_that_studys_response_rules(tmp_path):
    # PALMARES-2 (observational) does not ask for confirmation: the single PR stands.
    document = {**json.loads(json.dumps(EXAMPLE)), "study": "PALMARES-2"}
    assert run(document, tmp_path)["best_overall_response"] == "PR"
    document["study"] = "ICRG0201"
    assert run(document, tmp_path)["best_overall_response"] == "SD"
    document["study"] = "NOPE"
    out = StringIO()
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(SystemExit) as exit_:
        call_command("recist_assess", str(path), stdout=out)
    assert exit_.value.code == 2
    assert json.loads(out.getvalue())["error"] == {
        "code": "INVALID_VALUE", "message": "document.study: unknown study 'NOPE'"}
