"""What the operations dashboard reads of samples: the pipeline from the samples the protocol
expects at the visits done to the central laboratory's results (a fixed number of queries)."""

from django.db.models import Count, Q

from biosamples.domain.lifecycle import ShipmentStatus
from biosamples.models import Aliquot, Sample
from visits.models import Visit

DONE = (Visit.Status.COMPLETED, Visit.Status.INCOMPLETE)


def sample_pipeline(study, sites):
    expected = sum(len(samples) for samples in
                   Visit.objects.filter(patient__site__in=sites, status__in=DONE,
                                        patient__voided_at__isnull=True)
                   .values_list("samples", flat=True))
    samples = Sample.objects.active().filter(site__in=sites)
    counts = samples.aggregate(
        collected=Count("pk", filter=~Q(status=Sample.Status.NOT_COLLECTED)),
        not_collected=Count("pk", filter=Q(status=Sample.Status.NOT_COLLECTED)))
    aliquots = Aliquot.objects.active().filter(site__in=sites)
    reached = aliquots.aggregate(
        shipped=Count("sample", distinct=True, filter=Q(
            shipment_items__shipment__status__in=[ShipmentStatus.SHIPPED,
                                                  ShipmentStatus.RECEIVED])),
        received=Count("sample", distinct=True, filter=Q(
            shipment_items__shipment__status=ShipmentStatus.RECEIVED)),
        resulted=Count("sample", distinct=True, filter=Q(results__isnull=False)))
    return {"sample_pipeline": {
        "expected": expected, "collected": counts["collected"],
        "not collected": counts["not_collected"], "shipped": reached["shipped"],
        "received": reached["received"], "resulted": reached["resulted"]}}


def register():
    from trialsite.monitoring import registry

    registry.register_dashboard_source(sample_pipeline)
