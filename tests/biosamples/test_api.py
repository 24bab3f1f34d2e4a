"""The samples, aliquots and shipments API, and the central laboratory's receipt and results."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from biosamples.models import AliquotResult, Shipment
from tests.biosamples.conftest import draw, process
from tests.biosamples.test_services import received, results_csv, shipped
from tests.factories import site_coordinator
from tests.visits.crf.test_services import visit_of
from trialsite.models import Role


def api_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def lab_api(lab):
    return api_for(lab)


@pytest.mark.parametrize("role", [Role.SPONSOR, Role.MONITOR, Role.DATA_MANAGER,
                                  Role.COORDINATOR])
def test_readers_list_samples_aliquots_and_shipments(world, stored, coordinator, role):
    shipment = shipped(world, coordinator, stored[:1])
    api = api_for(world.users[role])
    sample = api.get("/api/v1/samples/").json()["results"]
    assert [(s["visit"], s["status"], s["draw_to_freeze_minutes"], s["deviations"])
            for s in sample] == [("BL", "processed", 150, [])]
    aliquots = api.get("/api/v1/aliquots/?status=stored").json()["results"]
    assert [a["label"] for a in aliquots] == [a.label for a in stored[1:]]
    assert aliquots[0]["position"] == "A2" and aliquots[0]["visit"] == "BL"
    shipments = api.get("/api/v1/shipments/").json()["results"]
    assert [(s["reference"], [i["label"] for i in s["items"]]) for s in shipments] == [
        (shipment.reference, [stored[0].label])]


def test_filters_by_site_visit_status_and_updated_since(world, patient, coordinator):
    api = api_for(world.users[Role.SPONSOR])
    bl = draw(visit_of(patient, "BL"), coordinator)
    process(bl, coordinator)
    draw(visit_of(patient, "M1"), coordinator)
    assert [s["visit"] for s in api.get("/api/v1/samples/?visit=M1").json()["results"]] == ["M1"]
    assert [s["visit"] for s in api.get("/api/v1/samples/?status=processed").json()[
        "results"]] == ["BL"]
    assert api.get("/api/v1/samples/?site=ATWO").json()["results"] == []
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert api.get("/api/v1/samples/", {"updated_since": later}).json()["results"] == []
    assert len(api.get("/api/v1/aliquots/?visit=BL&site=AONE").json()["results"]) == 4
    assert api.get("/api/v1/samples/?status=bogus").status_code == 400


def test_cursor_pagination_walks_every_aliquot_once(world, processed):
    api = api_for(world.users[Role.SPONSOR])
    seen, url = [], "/api/v1/aliquots/?page_size=3"
    while url:
        page = api.get(url).json()
        seen += [a["label"] for a in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 4


def test_another_sites_samples_are_not_listed(world, processed):
    other = api_for(site_coordinator(world.site_a2))
    for path in ("samples", "aliquots", "shipments"):
        assert other.get(f"/api/v1/{path}/").json()["results"] == [], path
    assert other.get(f"/api/v1/samples/{processed.pk}/").status_code == 404


def test_the_central_lab_sees_only_shipped_aliquots_and_no_samples(world, stored, coordinator,
                                                                    lab_api):
    assert lab_api.get("/api/v1/aliquots/").json()["results"] == []
    assert lab_api.get("/api/v1/shipments/").json()["results"] == []
    shipment = shipped(world, coordinator, stored[:2])
    aliquots = lab_api.get("/api/v1/aliquots/").json()["results"]
    assert {a["label"] for a in aliquots} == {stored[0].label, stored[1].label}
    assert set(aliquots[0]) >= {"label", "visit", "collected_at"}
    assert lab_api.get("/api/v1/samples/").json()["results"] == []
    assert lab_api.get(f"/api/v1/shipments/{shipment.pk}/").status_code == 200


def test_the_central_lab_receives_through_the_api(world, stored, coordinator, lab_api):
    shipment = shipped(world, coordinator, stored[:2])
    url = f"/api/v1/shipments/{shipment.pk}/receive/"
    assert [i["label"] for i in lab_api.get(url).json()["items"]] == [stored[0].label,
                                                                     stored[1].label]
    body = {"received_at": timezone.now().isoformat(), "arrival_condition": "frozen",
            "receipts": [{"label": stored[0].label, "receipt": "received"},
                         {"label": stored[1].label, "receipt": "missing"}]}
    response = lab_api.post(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert [i["receipt"] for i in response.json()["items"]] == ["received", "missing"]
    again = lab_api.post(url, body, format="json")
    assert again.status_code == 400
    assert "already been received" in again.json()["non_field_errors"][0]


def test_bad_receipts_are_400_with_the_field(world, stored, coordinator, lab_api):
    shipment = shipped(world, coordinator, stored[:1])
    url = f"/api/v1/shipments/{shipment.pk}/receive/"
    bad = lab_api.post(url, {"received_at": "soon", "arrival_condition": "warm",
                             "receipts": []}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"received_at", "arrival_condition", "receipts"}
    wrong = lab_api.post(url, {"received_at": timezone.now().isoformat(),
                               "arrival_condition": "frozen",
                               "receipts": [{"label": "NOPE", "receipt": "received"}]},
                         format="json")
    assert wrong.status_code == 400 and "receipts" in wrong.json()
    assert Shipment.objects.get().status == "shipped"


def test_only_the_central_lab_receives_through_the_api(world, stored, coordinator):
    shipment = shipped(world, coordinator, stored[:1])
    api = api_for(world.users[Role.SPONSOR])
    assert api.post(f"/api/v1/shipments/{shipment.pk}/receive/", {}, format="json"
                    ).status_code == 404


def test_results_upload_through_the_api(world, stored, coordinator, lab, lab_api):
    received(lab, shipped(world, coordinator, stored[:2]), stored[:2])
    bad = lab_api.post("/api/v1/results/", {
        "study": world.study_a.code,
        "csv": results_csv(stored[:1]) + results_csv(stored[:1]).split("\n", 1)[1]},
        format="json")
    assert bad.status_code == 400
    assert [r["line"] for r in bad.json()["rows"] if r["errors"]] == [3]
    assert not AliquotResult.objects.exists()
    good = lab_api.post("/api/v1/results/", {
        "study": world.study_a.code,
        "file": SimpleUploadedFile("run.csv", results_csv(stored[:2]).encode())},
        format="multipart")
    assert good.status_code == 201 and good.json()["rows"] == 2
    other = lab_api.post("/api/v1/results/", {"study": world.study_b.code, "csv": "x"},
                         format="json")
    assert other.status_code == 404
    sponsor = api_for(world.users[Role.SPONSOR]).post(
        "/api/v1/results/", {"study": world.study_a.code, "csv": "x"}, format="json")
    assert sponsor.status_code == 404


def test_api_lists_cost_the_same_for_1_and_25_aliquots(world, patient, coordinator):
    api = api_for(world.users[Role.SPONSOR])
    process(draw(visit_of(patient, "BL"), coordinator), coordinator, aliquot_count=1)

    def cost(path):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(path).status_code == 200
        return len(ctx.captured_queries)

    paths = ["/api/v1/aliquots/", "/api/v1/samples/", "/api/v1/shipments/"]
    cost(paths[0])  # the first request of the process loads what it caches
    one = [cost(p) for p in paths]
    for code in ("M1", "M2"):
        process(draw(visit_of(patient, code), coordinator), coordinator, aliquot_count=12,
                aliquot_volume_ml=Decimal("0.2"))
    assert [cost(p) for p in paths] == one


def test_an_oversized_upload_is_refused_before_it_is_read(world, lab_api, settings):
    settings.MAX_REQUEST_BYTES = 64 * 1024
    big = lab_api.post("/api/v1/results/", {
        "study": world.study_a.code,
        "file": SimpleUploadedFile("run.csv", b"x" * (128 * 1024))}, format="multipart")
    assert big.status_code == 413
    assert "at most 0 MB" in big.json()["detail"] or "too large" in big.json()["detail"]


def test_a_csv_field_over_the_csv_modules_limit_is_a_400_naming_the_line(
        world, stored, coordinator, lab, lab_api):
    import csv as csv_module

    from tests.biosamples.test_services import HEAD

    received(lab, shipped(world, coordinator, stored[:1]), stored[:1])
    huge = "y" * (csv_module.field_size_limit() + 1)
    text = HEAD + f"{stored[0].label},2026-01-02T10:00:00+00:00,FTIR,runs/a.csv,pass\n" \
        + f'{stored[0].label},2026-01-02T10:00:00+00:00,"{huge}",x,pass\n'
    response = lab_api.post("/api/v1/results/", {
        "study": world.study_a.code,
        "file": SimpleUploadedFile("run.csv", text.encode())}, format="multipart")
    assert response.status_code == 400
    assert "Line 3" in response.json()["file"][0]
    assert "field larger than field limit" in response.json()["file"][0]
