"""The demo trial's ICRG0201 samples: recorded, stored, shipped, received, with results."""

from io import StringIO

from django.core.management import call_command

from biosamples.models import Aliquot, AliquotResult, Sample, SampleFlag, Shipment
from visits.models import Visit


def test_demo_samples_follow_the_whole_path_and_a_rerun_adds_nothing(db):
    call_command("seed_demo", stdout=StringIO())
    done = Visit.objects.filter(patient__site__study__code="ICRG0201",
                                status__in=["completed", "incomplete"]).exclude(samples=[])
    samples = Sample.objects.active()
    assert samples.count() >= 20
    assert samples.filter(status="not_collected").exists()
    assert samples.exclude(deviations=[]).exists()
    assert Aliquot.objects.filter(site__code="JOKHC", status="stored").exists()
    shipment = Shipment.objects.get(site__code="JOKHC", status="received",
                                    tracking_number="WC-2026-004417")
    assert "damaged" in shipment.discrepancies
    assert AliquotResult.objects.filter(aliquot__shipment_items__shipment=shipment).exists()
    assert not Sample.objects.filter(site__study__code="PALMARES-2").exists()
    # Every done visit's sample is recorded or flagged, never silently absent.
    recorded = set(samples.values_list("visit_id", flat=True))
    flagged = set(SampleFlag.objects.filter(kind="missing_sample").values_list("visit_id",
                                                                              flat=True))
    assert set(done.values_list("id", flat=True)) <= recorded | flagged
    counts = (Sample.objects.count(), Aliquot.objects.count(), Shipment.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Sample.objects.count(), Aliquot.objects.count(), Shipment.objects.count()) == counts
