"""A liquid biopsy from the draw to the central laboratory's result, through the real pages."""

import pytest
from playwright.sync_api import expect

from biosamples.models import Aliquot, AliquotResult
from tests.browser.conftest import log_in, screenshot
from tests.factories import enrol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_draw_process_store_ship_receive_result(new_page, world):
    coordinator = world.users["coordinator"]
    patient = enrol(world.patient_a1, coordinator=coordinator)
    sid = patient.subject_id
    page = new_page()
    log_in(page, "coordinator-a1")

    # At the visit: the expected sample, then the draw (local time at the site).
    page.goto(f"/patients/{sid}/visits/BL/")
    row = page.locator("#sample-liquid_biopsy")
    expect(row).to_contain_text("not recorded")
    row.locator("a:has-text('Record draw')").click()
    page.fill("#id_drawn_at", "2026-01-29T09:00")
    page.fill("#id_drawn_by", "Nurse Salma")
    page.click("button.primary")
    expect(page.locator(".messages")).to_contain_text("draw recorded")

    # Processing: centrifuged late (2 h 20 min) → a visible pre-analytical deviation.
    page.fill("#id_centrifuge_started_at", "2026-01-29T11:20")
    page.check("input[name=haemolysis][value=none]")
    page.fill("#id_frozen_at", "2026-01-29T12:10")
    page.click("#process-form button.primary")
    expect(page.locator(".messages")).to_contain_text("Pre-analytical deviation")
    expect(page.locator("#aliquots tbody tr")).to_have_count(4)
    label = f"{sid}-BL-LB-01"
    expect(page.locator("#aliquots")).to_contain_text(label)
    screenshot(page, "biosample-processed")

    # The centrifugation time was misread from the log: corrected with a reason, the deviation
    # goes, and the chain of custody says so.
    page.click("#correct summary")
    page.fill("#id_correct-centrifuge_started_at", "2026-01-29T10:20")
    page.fill("#id_correct-reason", "Read again from the centrifuge log")
    page.click("#correct button.primary")
    expect(page.locator(".messages")).to_contain_text("Correction saved")
    expect(page.locator("#deviation")).to_have_count(0)
    screenshot(page, "biosample-corrected")

    # Storage: a new box, then the aliquot scanned into A1.
    page.click("a:has-text('Store in a freezer box')")
    page.fill("#id_freezer", "-80 A")
    page.fill("#id_rack", "R1")
    page.fill("#id_box", "B1")
    page.click("button.primary")
    expect(page.locator("h1")).to_contain_text("Box map")
    page.fill("#id_label", label)
    page.fill("#id_position", "A1")
    page.click("#store-form button.primary")
    expect(page.locator("#pos-A1")).to_contain_text(label)
    screenshot(page, "biosample-box-map")

    # Shipment: started, built from the list, shipped.
    page.goto(f"/sites/{world.site_a1.code}/shipments/")
    page.select_option("#id_destination_lab", "QOLAB")
    page.click("button.primary")
    expect(page.locator("h1")).to_contain_text("Shipment")
    page.check(f"#pick-{label}")
    page.click("#add-form button")
    expect(page.locator("#shipment-aliquots")).to_contain_text(label)
    page.fill("#id_shipped_at", "2026-02-02T10:00")
    page.fill("#id_courier", "World Courier")
    page.fill("#id_tracking_number", "WC-1001")
    page.check("#id_dry_ice")
    page.click("#ship-form button.primary")
    expect(page.locator("#shipment-status")).to_have_text("Shipped")

    # The central laboratory receives it and uploads the result.
    lab = new_page()
    log_in(lab, "central_lab-a")
    lab.click("#section-lab_shipments a:has-text('-SH001')")
    expect(lab.locator("#receipt")).to_contain_text(label)
    expect(lab.locator("body")).not_to_contain_text("Nurse Salma")
    lab.fill("#id_received_at", "2026-02-04T09:30")
    lab.check("input[name=arrival_condition][value=frozen]")
    lab.check(f"input[name='receipt_{label}'][value=received]")
    lab.click("button.primary")
    expect(lab.locator("#shipment-status")).to_have_text("Received")
    lab.goto("/lab/")
    lab.click("a:has-text('Upload a results manifest')")
    csv = ("aliquot_label,measured_at,instrument,result_file,qc_status\n"
           f"{label},2026-02-10T14:00:00+01:00,QO-FTIR-2,runs/{label}.spc,pass\n")
    lab.set_input_files("#id_file", files=[{"name": "results.csv", "mimeType": "text/csv",
                                            "buffer": csv.encode()}])
    lab.click("button.primary")
    expect(lab.locator(".messages")).to_contain_text("1 result(s) imported")
    screenshot(lab, "biosample-lab")

    # Back at the site: the whole chain of custody on one page.
    aliquot = Aliquot.objects.get(label=label)
    assert aliquot.status == "consumed" and AliquotResult.objects.filter(aliquot=aliquot).exists()
    page.goto(f"/samples/{aliquot.sample_id}/custody/")
    custody = page.locator("#custody")
    for step in ("Drawn", "Processed into aliquots", "Record corrected", "Stored",
                 "Added to shipment", "Shipped", "Received", "Result reported"):
        expect(custody).to_contain_text(step)
    screenshot(page, "biosample-custody")

    # The casebook sums it up, visit by visit.
    page.goto(f"/patients/{sid}/")
    expect(page.locator("#casebook-sample-BL-liquid_biopsy")).to_contain_text(
        "1 analysed or used")
    page.locator("#panel-samples").scroll_into_view_if_needed()
    screenshot(page, "biosample-casebook")
