"""POST /api/v1/studies/{code}/prescreen: candidates in, one result each out, nothing stored."""

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from eligibility.api.serializers import MAX_CANDIDATES
from eligibility.domain.prescreen import prescreen_row
from tests.eligibility.domain.test_icrg0201_criteria import candidate
from tests.factories import UserFactory, api_key
from trialsite.exports.models import ApiRequest
from trialsite.models import Role
from trialsite.protocols.icrg0201_eligibility import CRITERIA, VARIABLES

URL = "/api/v1/studies/ICRG0201/prescreen"


def token_client(user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user)}")
    return api


@pytest.fixture
def coordinator_api(world):
    return token_client(world.users[Role.COORDINATOR])


def post(api, body, url=URL):
    return api.post(url, body, format="json")


def test_the_route_is_named_and_spelled_without_a_trailing_slash():
    assert reverse("study-prescreen", kwargs={"code": "ICRG0201"}) == URL


def test_coordinator_prescreens_candidates_with_a_token(coordinator_api):
    response = post(coordinator_api, [
        candidate(),
        candidate(candidate_id="C002", sex="M", neutrophils_g_l="1.2"),
        candidate(candidate_id="C003", hiv="NOT_DONE", platelets_g_l=""),
    ])
    assert response.status_code == 200
    assert response.json() == [
        {"candidate_id": "C001", "result": "ELIGIBLE", "failed": [], "missing": [],
         "errors": []},
        {"candidate_id": "C002", "result": "NOT_ELIGIBLE", "failed": ["EXC01", "INC10"],
         "missing": [], "errors": []},
        {"candidate_id": "C003", "result": "INCOMPLETE", "failed": [],
         "missing": ["hiv", "platelets_g_l"], "errors": []},
    ]


def test_results_keep_the_input_order_and_match_the_engine(coordinator_api):
    rows = [
        candidate(candidate_id="Z9", stage="IIIA"),
        candidate(candidate_id="A1"),
        candidate(candidate_id="M5", who_ps="3", hbv="NOT_DONE"),
        candidate(candidate_id="B2", sex="M"),
    ]
    body = post(coordinator_api, rows).json()
    assert [r["candidate_id"] for r in body] == ["Z9", "A1", "M5", "B2"]
    for raw, result in zip(rows, body, strict=True):
        row = prescreen_row(VARIABLES, CRITERIA, raw)
        assert (result["result"], result["failed"], result["missing"]) == (
            row.result, list(row.failed), list(row.missing))


def test_numbers_and_null_are_read_as_their_text(coordinator_api):
    body = post(coordinator_api, [candidate(
        candidate_id=17, who_ps=1, er_percent=80, neutrophils_g_l=3.2, calcium=2.35,
        her2_ish=None, creatinine_clearance_ml_min=None,
    )]).json()
    assert body == [{"candidate_id": "17", "result": "ELIGIBLE", "failed": [], "missing": [],
                     "errors": []}]


def test_a_small_float_is_not_written_with_an_exponent(coordinator_api):
    [result] = post(coordinator_api, [candidate(neutrophils_g_l=0.0000001)]).json()
    assert result["failed"] == ["INC10"] and result["errors"] == []


def test_unreadable_values_are_errors_of_that_candidate_and_count_as_missing(coordinator_api):
    response = post(coordinator_api, [
        candidate(neutrophils_g_l="abc", her2_ihc="4+"),
        candidate(candidate_id=""),
        candidate(candidate_id="C003"),
    ])
    assert response.status_code == 200
    first, second, third = response.json()
    assert first["result"] == "INCOMPLETE"
    assert first["missing"] == ["her2_ihc", "neutrophils_g_l"]
    assert first["errors"] == [
        "her2_ihc: unknown code '4+' (expected one of 0, 1+, 2+, 3+)",
        "neutrophils_g_l: 'abc' is not a number",
    ]
    assert second["errors"] == ["candidate_id: missing"]
    assert third == {"candidate_id": "C003", "result": "ELIGIBLE", "failed": [], "missing": [],
                     "errors": []}


def test_names_the_study_does_not_declare_are_ignored_and_noted(coordinator_api):
    [result] = post(coordinator_api, [{**candidate(), "site": "AONE"}]).json()
    assert result["result"] == "ELIGIBLE"
    assert result["errors"] == ["site: ICRG0201 declares no such variable (ignored)"]


def test_an_empty_list_gives_an_empty_list(coordinator_api):
    response = post(coordinator_api, [])
    assert (response.status_code, response.json()) == (200, [])


def test_a_trailing_slash_is_accepted(coordinator_api):
    assert post(coordinator_api, [candidate()], url=URL + "/").status_code == 200


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.DATA_MANAGER])
def test_investigator_and_data_manager_may_prescreen(world, role):
    response = post(token_client(world.users[role]), [candidate()])
    assert response.status_code == 200
    assert response.json()[0]["result"] == "ELIGIBLE"


def test_session_login_works_too(client, world):
    client.force_login(world.users[Role.COORDINATOR])
    response = client.post(URL, [candidate()], content_type="application/json")
    assert response.status_code == 200


def test_a_superuser_may_prescreen_any_study(world):
    api = token_client(UserFactory(username="root", is_superuser=True))
    response = post(api, [{"candidate_id": "P1"}], url="/api/v1/studies/PALMARES-2/prescreen")
    assert response.status_code == 200
    assert response.json()[0]["result"] == "INCOMPLETE"


@pytest.mark.parametrize("role", [Role.MONITOR, Role.SPONSOR, Role.CENTRAL_LAB])
def test_monitor_sponsor_and_central_lab_are_refused_403(world, role):
    response = post(token_client(world.users[role]), [candidate()])
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.INVESTIGATOR, Role.MONITOR,
                                  Role.DATA_MANAGER, Role.SPONSOR, Role.CENTRAL_LAB])
def test_a_study_the_user_is_not_in_answers_404_whatever_the_role(world, role):
    api = token_client(world.users[role])
    assert post(api, [{"candidate_id": "P1"}],
                url="/api/v1/studies/PALMARES-2/prescreen").status_code == 404
    assert post(api, [], url="/api/v1/studies/NOSUCH/prescreen").status_code == 404


def test_without_credentials_is_refused(world):
    assert post(APIClient(), [candidate()]).status_code == 401


def test_get_is_not_allowed(coordinator_api):
    assert coordinator_api.get(URL).status_code == 405


def test_form_data_is_refused(coordinator_api):
    assert coordinator_api.post(URL, {"candidate_id": "C1"}).status_code == 415


def test_malformed_json_is_a_400(coordinator_api):
    response = coordinator_api.post(URL, "[{", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("body, kind", [
    ('{"candidate_id": "C1"}', "an object"), ('"C1"', "a string"), ("null", "null"),
    ("7", "a number"),
])
def test_the_body_must_be_a_list(coordinator_api, body, kind):
    response = coordinator_api.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"The body must be a JSON list of candidate objects, not {kind}."
    }


def test_an_empty_body_is_a_400(coordinator_api):
    response = coordinator_api.post(URL, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "The body is empty: send a JSON list of candidates."}


def test_every_item_must_be_an_object_and_the_error_names_its_index(coordinator_api):
    response = post(coordinator_api, [candidate(), "C002", [1]])
    assert response.status_code == 400
    assert response.json() == {
        "detail": "item 1: expected an object of variable values, not a string "
                  "(and 1 more problem)",
        "errors": {"1": ["expected an object of variable values, not a string"],
                   "2": ["expected an object of variable values, not an array"]},
    }


@pytest.mark.parametrize("value, kind", [
    (["3.2"], "an array"),
    ({"value": "3.2"}, "an object"),
    (True, 'a boolean (coded answers are strings such as "Y" or "N")'),
])
def test_a_value_must_be_a_string_a_number_or_null(coordinator_api, value, kind):
    response = post(coordinator_api, [candidate(), candidate(neutrophils_g_l=value)])
    assert response.status_code == 400
    message = f"expected a string, a number or null, not {kind}"
    assert response.json() == {
        "detail": f"item 1, field neutrophils_g_l: {message}",
        "errors": {"1": {"neutrophils_g_l": [message]}},
    }


def test_more_than_5000_candidates_are_refused(coordinator_api):
    response = post(coordinator_api, [{"candidate_id": str(i)} for i in range(MAX_CANDIDATES + 1)])
    assert response.status_code == 400
    assert response.json() == {
        "detail": "At most 5000 candidates per request, got 5001: split the batch."
    }


def test_5000_candidates_are_accepted(coordinator_api):
    response = post(coordinator_api, [{"candidate_id": str(i)} for i in range(MAX_CANDIDATES)])
    assert response.status_code == 200
    assert len(response.json()) == MAX_CANDIDATES


def test_writes_nothing_to_the_database(coordinator_api):
    models = apps.get_models()
    before = {model: model._default_manager.count() for model in models}
    with CaptureQueriesContext(connection) as queries:
        response = post(coordinator_api, [candidate(), candidate(candidate_id="C2", who_ps="x")])
    assert response.status_code == 200
    # The one write allowed is the API call log (who called, when): no clinical data.
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")
              and "exports_apirequest" not in q["sql"]]
    assert writes == []
    after = {model: model._default_manager.count() for model in models}
    assert after.pop(ApiRequest) == before.pop(ApiRequest) + 1
    assert after == before


def test_the_schema_documents_the_endpoint(coordinator_api):
    response = coordinator_api.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    document = response.json()
    operation = document["paths"]["/api/v1/studies/{code}/prescreen"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"type": "array", "items": {"$ref": "#/components/schemas/PrescreenCandidate"}}
    result = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert result == {"type": "array", "items": {"$ref": "#/components/schemas/PrescreenResult"}}
    assert {"400", "403", "404"} <= set(operation["responses"])
    candidate_schema = document["components"]["schemas"]["PrescreenCandidate"]
    assert {"candidate_id", "neutrophils_g_l", "cdk46i"} <= set(candidate_schema["properties"])
    assert set(document["components"]["schemas"]["PrescreenResult"]["properties"]) == {
        "candidate_id", "result", "failed", "missing", "errors"}
