"""The casebook's samples panel: every sample of the patient, with deviations (one query)."""

from django.db.models import Count

from biosamples.models import Sample
from enrollment.casebook import CasebookPanel, register


def _samples(patient, user):
    samples = list(Sample.objects.active().filter(visit__patient=patient)
                   .select_related("visit").annotate(n_aliquots=Count("aliquots"))
                   .order_by("visit__target_date", "sample_code"))
    return {"samples": samples} if samples else {"samples": []}


def register_panels():
    register(CasebookPanel(key="samples", title="Samples", template="biosamples/_panel.html",
                           order=25, context=_samples))
