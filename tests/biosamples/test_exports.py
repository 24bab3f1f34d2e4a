"""Sample datasets in the exports: deviations visible, other sites' rows absent."""

import csv
import io

from django.urls import reverse

from tests.biosamples.conftest import draw, process
from tests.factories import site_coordinator
from trialsite.models import Role


def rows(client, dataset):
    response = client.get(reverse("export-dataset", kwargs={"dataset": dataset, "fmt": "csv"}))
    assert response.status_code == 200, response.status_code
    text = b"".join(response.streaming_content).decode() if response.streaming else (
        response.content.decode())
    return [r for r in csv.DictReader(io.StringIO(text)) if r.get("study") and
            not r["study"].startswith("#")]


def test_the_samples_export_shows_the_pre_analytical_deviation(client, world, baseline,
                                                               coordinator):
    process(draw(baseline, coordinator), coordinator, freeze_after=250)
    client.force_login(world.users[Role.SPONSOR])
    samples = rows(client, "samples")
    assert [(r["visit_code"], r["draw_to_freeze_minutes"]) for r in samples] == [("BL", "250")]
    assert samples[0]["deviation_text"].startswith("Aliquots frozen 4 h 10 min")
    assert len(rows(client, "aliquots")) == 4
    client.force_login(site_coordinator(world.site_a2))
    assert rows(client, "samples") == [] and rows(client, "aliquots") == []
