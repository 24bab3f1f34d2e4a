"""Every role sees in every export exactly the sites it sees on the pages; no other."""

import csv
import io
import json

import pytest

from tests.exports.conftest import body
from tests.factories import UserFactory, grant
from trialsite.access import sites_visible_to
from trialsite.exports.registry import all_datasets
from trialsite.models import Role

ROLES = [Role.COORDINATOR, Role.INVESTIGATOR, Role.MONITOR, Role.DATA_MANAGER, Role.SPONSOR,
         Role.CENTRAL_LAB]


@pytest.mark.parametrize("role", ROLES)
def test_each_export_holds_only_the_sites_the_role_sees(trial, api_for, role):
    user = trial.users[role]
    visible = set(sites_visible_to(user).values_list("code", flat=True))
    foreign_subjects = {p.subject_id for p in (trial.patient_a1, trial.patient_a2,
                                               trial.patient_b1)
                        if p.site.code not in visible}
    api = api_for(role)
    seen_sites = set()
    for dataset in all_datasets():
        for fmt in ("csv", "ndjson"):
            response = api.get(f"/api/v1/exports/{dataset.name}.{fmt}")
            assert response.status_code == 200
            text = body(response)
            for subject in foreign_subjects:
                assert subject not in text, (role, dataset.name, fmt)
            if fmt == "csv":
                sites = {r["site"] for r in csv.DictReader(io.StringIO(text))}
            else:
                sites = {json.loads(line)["site"] for line in text.splitlines()}
            assert sites <= visible, (role, dataset.name)
            seen_sites |= sites
    odm = body(api.get("/api/v1/exports/odm.xml?audit=1"))
    for subject in foreign_subjects:
        assert subject not in odm, role
    # The role does see its own sites' rows (the comparison is not vacuous).
    assert seen_sites == (visible & {"AONE", "ATWO"})


def test_coordinator_of_one_site_sees_only_that_site(trial, api_for):
    rows = list(csv.DictReader(io.StringIO(body(
        api_for(Role.COORDINATOR).get("/api/v1/exports/subjects.csv")))))
    assert [r["subject_id"] for r in rows] == [trial.patient_a1.subject_id]


def test_a_user_without_a_role_gets_empty_exports(trial, api_for):
    outsider = UserFactory()
    api = api_for(outsider)
    for dataset in all_datasets():
        text = body(api.get(f"/api/v1/exports/{dataset.name}.csv"))
        assert text.count("\n") == 1, dataset.name  # the header only


def test_study_b_sponsor_sees_study_b_only(trial, api_for):
    sponsor_b = grant(UserFactory(), Role.SPONSOR, study=trial.study_b)
    rows = list(csv.DictReader(io.StringIO(body(
        api_for(sponsor_b).get("/api/v1/exports/subjects.csv")))))
    assert [(r["study"], r["subject_id"]) for r in rows] == [
        ("PALMARES-2", trial.patient_b1.subject_id)]


def test_anonymous_calls_are_refused(trial, client):
    for url in ("/api/v1/exports/", "/api/v1/exports/subjects.csv",
                "/api/v1/exports/dictionary.csv", "/api/v1/exports/odm.xml",
                "/api/v1/exports/packages/"):
        assert client.get(url).status_code in (401, 403), url
