"""The sample pages as coordinators, monitors and the central laboratory use them."""

import csv
import io
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from biosamples import services
from biosamples.models import Aliquot, AliquotResult, Sample, Shipment
from tests.biosamples.conftest import LB, draw, drawn_at, process
from tests.biosamples.test_services import received, results_csv, shipped
from tests.visits.crf.test_services import visit_of
from trialsite.models import Role


def visit_url(patient, code="BL"):
    return reverse("visit-detail", args=[patient.subject_id, code])


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def lab_client(client, lab):
    client.force_login(lab)
    return client


# --- at the visit -------------------------------------------------------------------------------


def test_the_visit_page_lists_the_expected_sample_to_record(coordinator_client, patient):
    body = coordinator_client.get(visit_url(patient)).content.decode()
    assert 'id="sample-liquid_biopsy"' in body and "not recorded" in body
    assert reverse("sample-draw", args=[patient.subject_id, "BL", LB]) in body
    screening = coordinator_client.get(visit_url(patient, "SCR")).content.decode()
    assert "This visit expects no samples." in screening


def test_a_monitor_sees_the_samples_but_cannot_record(client, world, patient):
    client.force_login(world.users[Role.MONITOR])
    body = client.get(visit_url(patient)).content.decode()
    assert "not recorded" in body
    assert reverse("sample-draw", args=[patient.subject_id, "BL", LB]) not in body
    url = reverse("sample-draw", args=[patient.subject_id, "BL", LB])
    assert client.post(url, {"drawn_at": "2026-01-29T09:00", "drawn_by": "x",
                             "tube_type": "t"}).status_code == 403


def test_recording_the_draw_reads_the_sites_local_time(coordinator_client, patient):
    url = reverse("sample-draw", args=[patient.subject_id, "BL", LB])
    form = coordinator_client.get(url).content.decode()
    assert 'value="10 mL K2-EDTA"' in form
    response = coordinator_client.post(url, {"drawn_at": "2026-01-29T09:00",
                                             "tube_type": "10 mL K2-EDTA",
                                             "drawn_by": "Nurse Salma"})
    sample = Sample.objects.get()
    assert response.status_code == 302 and response.url == reverse("sample-process",
                                                                   args=[sample.pk])
    # AONE is in Asia/Amman (UTC+3 in January): 09:00 local is 06:00 UTC.
    assert sample.drawn_at.isoformat() == "2026-01-29T06:00:00+00:00"


def test_bad_draw_input_is_shown_at_its_field(coordinator_client, patient):
    url = reverse("sample-draw", args=[patient.subject_id, "BL", LB])
    future = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = coordinator_client.post(url, {"drawn_at": future, "tube_type": "x",
                                             "drawn_by": "N\x00"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"drawn_by"} or set(errors) == {"drawn_by", "drawn_at"}
    response = coordinator_client.post(url, {"drawn_at": future, "tube_type": "x",
                                             "drawn_by": "Nurse"})
    assert "in the future" in str(response.context["form"].errors["drawn_at"])
    assert not Sample.objects.exists()


def test_not_collected_makes_the_sample_missing_on_the_visit_page(coordinator_client, patient):
    url = reverse("sample-not-collected", args=[patient.subject_id, "BL", LB])
    assert coordinator_client.post(url, {"reason": "Vein access failed"}).status_code == 302
    body = coordinator_client.get(visit_url(patient)).content.decode()
    assert "not collected</strong>: Vein access failed" in body


def test_processing_page_creates_aliquots_and_shows_the_deviation(coordinator_client, baseline,
                                                                  coordinator):
    sample = draw(baseline, coordinator)
    url = reverse("sample-process", args=[sample.pk])
    page = coordinator_client.get(url).content.decode()
    assert 'name="aliquot_count" value="4"' in page and 'value="0.5"' in page
    local = sample.drawn_at.astimezone(ZoneInfo(baseline.patient.site.time_zone))
    response = coordinator_client.post(url, {
        "version": sample.version, "haemolysis": "slight", "aliquot_count": 4,
        "aliquot_volume_ml": "0.5",
        "centrifuge_started_at": (local + timedelta(minutes=150)).strftime("%Y-%m-%dT%H:%M"),
        "frozen_at": (local + timedelta(minutes=200)).strftime("%Y-%m-%dT%H:%M")}, follow=True)
    body = response.content.decode()
    assert "Pre-analytical deviation: Centrifugation started 2 h 30 min after the draw" in body
    assert Aliquot.objects.filter(sample=sample).count() == 4
    assert f"{baseline.patient.subject_id}-BL-LB-04" in body
    visit_page = coordinator_client.get(visit_url(baseline.patient)).content.decode()
    assert "pre-analytical deviation" in visit_page
    assert "the protocol allows" not in body


def test_a_late_baseline_draw_shows_as_a_pre_analytical_deviation(coordinator_client, baseline,
                                                                  coordinator):
    assert baseline.target_date == baseline.patient.enrolment.day1  # BL is on D1
    late = drawn_at(baseline) + timedelta(days=3)
    sample = draw(baseline, coordinator, drawn_at=late)
    body = coordinator_client.get(reverse("sample-process", args=[sample.pk])).content.decode()
    assert "Pre-analytical deviation:</strong> Baseline sample drawn" in body
    assert "3 days after the first dose on D1" in body
    visit_page = coordinator_client.get(visit_url(baseline.patient)).content.decode()
    assert "pre-analytical deviation" in visit_page


def test_sample_pages_call_the_assumed_values_the_sample_plans(coordinator_client, baseline,
                                                               coordinator):
    sample = draw(baseline, coordinator)
    body = coordinator_client.get(reverse("sample-process", args=[sample.pk])).content.decode()
    assert "Sample plan: 4 aliquots of 0.5 mL" in body
    assert "assumed: the registry text gives no tube, processing limits or aliquots" in body
    assert "Protocol: " not in body


def test_the_label_sheet_is_a_pdf_with_the_labels(coordinator_client, processed, patient):
    response = coordinator_client.get(reverse("visit-sample-labels",
                                              args=[patient.subject_id, "BL"]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_chain_of_custody_page_shows_every_step(coordinator_client, world, stored,
                                                    coordinator, lab):
    received(lab, shipped(world, coordinator, stored[:1]), stored[:1])
    body = coordinator_client.get(reverse("sample-custody", args=[stored[0].sample_id])).content
    text = body.decode()
    for words in ("Drawn", "Processed into aliquots", "Stored", "Added to shipment", "Shipped",
                  "Received", "Central quantum-optics laboratory", "Nurse Salma"):
        assert words in text, words


# --- storage and shipments ----------------------------------------------------------------------


def test_a_box_is_added_and_aliquots_stored_by_label(coordinator_client, world, processed):
    response = coordinator_client.post(reverse("site-storage", args=[world.site_a1.code]),
                                       {"freezer": "-80 A", "rack": "R1", "box": "B1"})
    box_url = response.url
    label = processed.created_aliquots[0].label
    store = box_url + "store/"
    assert coordinator_client.post(store, {"label": label, "position": "c4"}).status_code == 302
    page = coordinator_client.get(box_url).content.decode()
    assert 'id="pos-C4" class="cell-stored"' in page and label in page
    other = processed.created_aliquots[1].label
    refused = coordinator_client.post(store, {"label": other, "position": "C4"})
    assert f"C4 already holds {label}" in refused.content.decode()
    refused = coordinator_client.post(store, {"label": "NOPE", "position": "A1"})
    assert "No aliquot of this site has this label." in refused.content.decode()


def test_building_shipping_and_the_manifests(coordinator_client, world, stored, box):
    response = coordinator_client.post(reverse("site-shipments", args=[world.site_a1.code]),
                                       {"destination_lab": "QOLAB"})
    shipment = Shipment.objects.get()
    detail = reverse("shipment-detail", args=[shipment.pk])
    assert response.url == detail
    assert stored[0].label in coordinator_client.get(detail).content.decode()
    # Pick one from the list, one from the box map.
    coordinator_client.post(reverse("shipment-add", args=[shipment.pk]),
                            {"aliquot": [stored[0].pk]})
    back = coordinator_client.post(reverse("shipment-add", args=[shipment.pk]),
                                   {"aliquot": [stored[1].pk], "next_box": box.pk})
    assert back.url == reverse("box-map", args=[box.pk])
    assert "reserved" in coordinator_client.get(back.url).content.decode()
    now = timezone.localtime(timezone.now(), timezone=ZoneInfo(world.site_a1.time_zone)) - (
        timedelta(hours=1))
    shipment.refresh_from_db()
    response = coordinator_client.post(reverse("shipment-ship", args=[shipment.pk]), {
        "version": shipment.version, "shipped_at": now.strftime("%Y-%m-%dT%H:%M"),
        "courier": "World Courier", "tracking_number": "WC-778", "dry_ice": "on"})
    assert response.status_code == 302
    assert Shipment.objects.get().status == "shipped"
    rows = list(csv.DictReader(io.StringIO(coordinator_client.get(
        reverse("shipment-manifest-csv", args=[shipment.pk])).content.decode())))
    assert [r["aliquot_label"] for r in rows] == [stored[0].label, stored[1].label]
    assert rows[0]["visit_code"] == "BL" and rows[0]["collected_at_utc"].endswith("Z")
    pdf = coordinator_client.get(reverse("shipment-manifest-pdf", args=[shipment.pk]))
    assert pdf.content.startswith(b"%PDF")


def test_the_manifest_shows_the_pre_analytical_deviation(coordinator_client, world, baseline,
                                                         coordinator, box):
    sample = process(draw(baseline, coordinator), coordinator, freeze_after=300)
    services.aliquot_store(actor=coordinator, aliquot=sample.created_aliquots[0], box=box,
                           row=1, column=1)
    shipment = services.shipment_create(actor=coordinator, site=world.site_a1,
                                        destination_lab="RAMAN")
    services.shipment_add_aliquots(actor=coordinator, shipment=shipment,
                                   aliquots=[Aliquot.objects.get(pk=sample.created_aliquots[0].pk)])
    body = coordinator_client.get(reverse("shipment-manifest-csv", args=[shipment.pk])).content
    assert "Aliquots frozen 5 h after the draw" in body.decode()


def test_a_refused_add_is_shown_on_the_shipment_page(coordinator_client, world, processed):
    shipment = services.shipment_create(actor=world.users[Role.COORDINATOR], site=world.site_a1,
                                        destination_lab="QOLAB")
    response = coordinator_client.post(reverse("shipment-add", args=[shipment.pk]),
                                       {"aliquot": [processed.created_aliquots[0].pk]})
    assert "not in storage yet" in response.content.decode()


# --- the central laboratory ---------------------------------------------------------------------


def test_the_central_lab_sees_labels_visits_and_times_never_clinical_data(
        lab_client, world, stored, coordinator, patient):
    draft = services.shipment_create(actor=coordinator, site=world.site_a1,
                                     destination_lab="QOLAB")
    shipment = shipped(world, coordinator, stored[:2])
    home = lab_client.get(reverse("lab-home")).content.decode()
    assert shipment.reference in home and draft.reference not in home
    body = lab_client.get(reverse("shipment-receive", args=[shipment.pk])).content.decode()
    assert stored[0].label in body and ">BL<" in body
    drawn_utc = stored[0].sample.drawn_at.astimezone(ZoneInfo("UTC"))
    assert drawn_utc.strftime("%Y-%m-%d %H:%M") in body
    for clinical in ("1970-05-17", "Haemolysis", "Female", "Nurse Salma",
                     reverse("patient-detail", args=[patient.subject_id])):
        assert clinical not in body, clinical
    for route, args in (("sample-process", [stored[0].sample_id]),
                        ("sample-custody", [stored[0].sample_id]),
                        ("shipment-detail", [shipment.pk]),
                        ("shipment-receive", [draft.pk]),
                        ("visit-detail", [patient.subject_id, "BL"]),
                        ("box-map", [stored[0].box_id])):
        assert lab_client.get(reverse(route, args=args)).status_code == 404, route
    api = lab_client.get("/api/v1/samples/").json()
    assert api["results"] == []


def test_the_central_lab_receives_on_the_page(lab_client, world, stored, coordinator):
    shipment = shipped(world, coordinator, stored[:2])
    url = reverse("shipment-receive", args=[shipment.pk])
    response = lab_client.post(url, {
        "version": shipment.version, "received_at": timezone.now().strftime("%Y-%m-%dT%H:%M"),
        "arrival_condition": "partly_thawed", f"receipt_{stored[0].label}": "received",
        f"receipt_{stored[1].label}": "damaged"}, follow=True)
    body = response.content.decode()
    assert "received." in body and f"1 aliquot(s) damaged: {stored[1].label}" in body
    again = lab_client.post(url, {"version": 3})
    assert "Record receipt" not in again.content.decode()
    assert Shipment.objects.get().status == "received"


def test_the_coordinator_sees_the_discrepancy(coordinator_client, world, stored, coordinator,
                                              lab):
    shipment = shipped(world, coordinator, stored[:1])
    received(lab, shipment, stored[:1], **{stored[0].label: "missing"})
    body = coordinator_client.get(reverse("site-shipments", args=[world.site_a1.code])).content
    assert f"1 aliquot(s) missing: {stored[0].label}" in body.decode()


def test_results_upload_reports_each_row_and_imports_nothing_on_error(lab_client, world,
                                                                      stored, coordinator, lab):
    received(lab, shipped(world, coordinator, stored[:2]), stored[:2])
    url = reverse("lab-results-upload", args=[world.study_a.code])
    bad = results_csv(stored[:2]) + "GHOST-01,2026-01-02T10:00:00Z,FTIR,g.csv,pass\n"
    response = lab_client.post(url, {"file": SimpleUploadedFile("run.csv", bad.encode())})
    body = response.content.decode()
    assert "1 of 3 rows have errors; nothing was imported." in body
    assert "unknown aliquot label GHOST-01" in body
    assert not AliquotResult.objects.exists()
    good = results_csv(stored[:2])
    response = lab_client.post(url, {"file": SimpleUploadedFile("run.csv", good.encode())})
    assert response.status_code == 302
    assert AliquotResult.objects.count() == 2


def test_results_upload_of_a_study_not_the_labs_is_404(lab_client, world):
    assert lab_client.get(reverse("lab-results-upload", args=[world.study_b.code])
                          ).status_code == 404


# --- constant queries ---------------------------------------------------------------------------


def _more_aliquots(patient, coordinator, box, n):
    """``n`` more stored aliquots in ``box`` from M1 and M2 samples (12 aliquots each)."""
    placed = Aliquot.objects.filter(box=box).count()
    out = []
    for code in ("M1", "M2"):
        if len(out) >= n:
            break
        sample = process(draw(visit_of(patient, code), coordinator), coordinator,
                         aliquot_count=12, aliquot_volume_ml=Decimal("0.2"))
        for aliquot in sample.created_aliquots:
            if len(out) >= n:
                break
            row, column = divmod(placed, box.columns)
            out.append(services.aliquot_store(actor=coordinator, aliquot=aliquot, box=box,
                                              row=row + 1, column=column + 1))
            placed += 1
    return out


def test_box_map_costs_the_same_for_1_and_25_aliquots(coordinator_client, world, processed, box,
                                                      coordinator, patient):
    services.aliquot_store(actor=coordinator, aliquot=processed.created_aliquots[0], box=box,
                           row=1, column=1)
    services.shipment_create(actor=coordinator, site=world.site_a1, destination_lab="QOLAB")
    url = reverse("box-map", args=[box.pk])
    one = count_queries(coordinator_client, url)
    _more_aliquots(patient, coordinator, box, 24)
    assert Aliquot.objects.filter(box=box).count() == 25
    assert count_queries(coordinator_client, url) == one


def test_shipment_pages_cost_the_same_for_1_and_25_aliquots(client, world, processed, box,
                                                            coordinator, patient, lab):
    first = services.aliquot_store(actor=coordinator, aliquot=processed.created_aliquots[0],
                                   box=box, row=1, column=1)
    small = services.shipment_create(actor=coordinator, site=world.site_a1,
                                     destination_lab="QOLAB")
    services.shipment_add_aliquots(actor=coordinator, shipment=small, aliquots=[first])
    more = _more_aliquots(patient, coordinator, box, 25)
    big = services.shipment_create(actor=coordinator, site=world.site_a1,
                                   destination_lab="QOLAB")
    client.force_login(coordinator)
    routes = ("shipment-detail", "shipment-manifest-csv", "shipment-manifest-pdf")
    counts_small = {r: count_queries(client, reverse(r, args=[small.pk])) for r in routes}
    counts_empty = count_queries(client, reverse("shipment-detail", args=[big.pk]))
    services.shipment_add_aliquots(actor=coordinator, shipment=big, aliquots=more)
    assert {r: count_queries(client, reverse(r, args=[big.pk])) for r in routes} == counts_small
    assert counts_empty <= counts_small["shipment-detail"]
    for shipment in (small, big):
        services.shipment_ship(actor=coordinator, shipment=Shipment.objects.get(pk=shipment.pk),
                               shipped_at=timezone.now(), courier="DHL", tracking_number="1",
                               dry_ice=True)
    client.force_login(lab)
    receive = [count_queries(client, reverse("shipment-receive", args=[s.pk]))
               for s in (small, big)]
    assert receive[0] == receive[1]
    lab_home = count_queries(client, reverse("lab-home"))
    assert lab_home <= 10
    assert counts_small["shipment-detail"] <= 15


def test_splitting_from_the_sample_page(coordinator_client, stored):
    parent = stored[0]
    url = reverse("sample-split", args=[parent.sample_id])
    page = coordinator_client.post(url, {"aliquot": parent.label, "count": 2,
                                         "volume_ml": "0.25"}, follow=True).content.decode()
    assert f"{parent.label}.1" in page and f"from {parent.label}" in page
    refused = coordinator_client.post(url, {"aliquot": parent.label, "count": 2,
                                            "volume_ml": "0.1"}, follow=True)
    assert "Split refused" in refused.content.decode()
    assert coordinator_client.get(url).status_code == 405


def _local(value, site):
    return value.astimezone(ZoneInfo(site.time_zone)).strftime("%Y-%m-%dT%H:%M")


def test_correcting_a_processed_sample_from_its_page(coordinator_client, processed):
    from biosamples.models import CustodyEvent

    site = processed.site
    url = reverse("sample-process", args=[processed.pk])
    page = coordinator_client.get(url).content.decode()
    assert 'id="correct"' in page and 'name="correct-frozen_at"' in page
    form = {"correct-version": processed.version,
            "correct-drawn_at": _local(processed.drawn_at, site),
            "correct-tube_type": processed.tube_type, "correct-drawn_by": processed.drawn_by,
            "correct-centrifuge_started_at": _local(processed.centrifuge_started_at, site),
            "correct-haemolysis": "none",
            "correct-frozen_at": _local(processed.frozen_at + timedelta(hours=3), site),
            "correct-reason": "Freezer log read again"}
    # Frozen before centrifugation: refused at the field, the user's values kept, nothing saved.
    refused = coordinator_client.post(reverse("sample-correct", args=[processed.pk]), {
        **form, "correct-frozen_at": _local(processed.drawn_at, site)})
    body = refused.content.decode()
    assert refused.status_code == 200 and 'id="correct" open' in body
    assert "has-error" in body and "Freezer log read again" in body
    assert Sample.objects.get(pk=processed.pk).version == processed.version
    done = coordinator_client.post(reverse("sample-correct", args=[processed.pk]), form,
                                   follow=True)
    body = done.content.decode()
    assert "Correction saved" in body and "Pre-analytical deviation" in body
    sample = Sample.objects.get(pk=processed.pk)
    assert sample.draw_to_freeze_minutes == 150 + 180 and sample.deviations == ["freeze_delay"]
    custody = coordinator_client.get(reverse("sample-custody", args=[processed.pk]))
    assert "Freezer log read again" in custody.content.decode()
    assert CustodyEvent.objects.filter(sample=sample, action="corrected").count() == 1


def test_a_stale_correction_shows_the_other_change(coordinator_client, processed, coordinator):
    site = processed.site
    services.sample_correct(actor=coordinator, sample=Sample.objects.get(pk=processed.pk),
                            expected_version=processed.version, reason="Name misspelt",
                            drawn_by="Nurse Salmá")
    response = coordinator_client.post(reverse("sample-correct", args=[processed.pk]), {
        "correct-version": processed.version, "correct-drawn_at": _local(processed.drawn_at, site),
        "correct-tube_type": "EDTA", "correct-drawn_by": "Nurse Salma",
        "correct-centrifuge_started_at": _local(processed.centrifuge_started_at, site),
        "correct-haemolysis": "none", "correct-frozen_at": _local(processed.frozen_at, site),
        "correct-reason": "Tube type"})
    body = response.content.decode()
    assert "Changed by someone else meanwhile" in body and "Name misspelt" in body
    assert Sample.objects.get(pk=processed.pk).tube_type != "EDTA"


def test_discarding_from_the_sample_page(coordinator_client, stored, client, world):
    aliquot = stored[0]
    url = reverse("aliquot-discard", args=[aliquot.sample_id])
    page = coordinator_client.post(url, {"aliquot": aliquot.label, "reason": "Tube cracked"},
                                   follow=True).content.decode()
    assert f"{aliquot.label} discarded" in page
    assert Aliquot.objects.get(pk=aliquot.pk).status == "discarded"
    refused = coordinator_client.post(url, {"aliquot": aliquot.label, "reason": "again"},
                                      follow=True).content.decode()
    assert "Discard refused" in refused
    client.force_login(world.users[Role.MONITOR])
    assert client.post(url, {"aliquot": stored[1].label, "reason": "x"}).status_code == 403
    monitor_page = client.get(reverse("sample-process", args=[aliquot.sample_id])).content
    assert b'id="discard"' not in monitor_page and b'id="correct"' not in monitor_page


def test_the_casebook_lists_every_expected_sample_and_where_its_aliquots_are(
        coordinator_client, stored, patient, coordinator):
    services.aliquot_discard(actor=coordinator, aliquot=stored[3], reason="Tube cracked")
    page = coordinator_client.get(reverse("patient-detail", args=[patient.subject_id]))
    body = page.content.decode()
    assert 'id="panel-samples"' in body
    row = body[body.index('id="casebook-sample-BL-liquid_biopsy"'):]
    row = row[:row.index("</tr>")]
    assert "processed" in row and "3 stored" in row and "1 discarded" in row
    last = [v for v in patient.visits.order_by("target_date") if v.samples][-1]
    row = body[body.index(f'id="casebook-sample-{last.code}-liquid_biopsy"'):]
    assert f"due from {last.window_start:%Y-%m-%d}" in row[:row.index("</tr>")]


def test_the_casebook_samples_panel_costs_the_same_for_1_and_6_samples(
        coordinator_client, processed, patient, coordinator):
    url = reverse("patient-detail", args=[patient.subject_id])
    one = count_queries(coordinator_client, url)
    for visit in [v for v in patient.visits.order_by("target_date") if v.samples][1:6]:
        draw(visit, coordinator)
    assert count_queries(coordinator_client, url) == one
