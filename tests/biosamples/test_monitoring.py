"""The operations dashboard's sample pipeline, counted from the samples' real states."""

from django.urls import reverse

from biosamples import services
from tests.biosamples.test_services import received, results_csv, shipped
from trialsite.models import Role


def test_the_dashboard_follows_samples_from_expected_to_resulted(client, world, stored,
                                                                 coordinator, lab):
    client.force_login(world.users[Role.DATA_MANAGER])
    url = reverse("study-dashboard", args=[world.study_a.code])
    pipeline = client.get(url).context["samples"]
    assert pipeline["collected"] == 1 and pipeline["shipped"] == 0
    shipment = shipped(world, coordinator, stored[:2])
    assert client.get(url).context["samples"]["shipped"] == 1  # two aliquots, one sample
    received(lab, shipment, stored[:2])
    services.results_upload(actor=lab, study=world.study_a, text=results_csv(stored[:1]),
                            file_name="results.csv")
    pipeline = client.get(url).context["samples"]
    assert (pipeline["received"], pipeline["resulted"], pipeline["not collected"]) == (1, 1, 0)
    assert "Sample pipeline" in client.get(url).content.decode()
