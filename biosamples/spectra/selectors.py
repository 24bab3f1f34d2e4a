"""Reads of the spectra pages: a laboratory's batches, a statistician's runs."""

from django.http import Http404

from biosamples.spectra.models import AnalysisRun, SpectraBatch, Spectrum
from trialsite import access
from trialsite.models import Role


def _studies_with_role(user, role):
    qs = access.studies_visible_to(user)
    if user.is_superuser:
        return qs.order_by("code")
    return qs.filter(memberships__user=user, memberships__role=role,
                     memberships__voided_at__isnull=True).distinct().order_by("code")


def lab_study_get(*, user, code):
    study = _studies_with_role(user, Role.CENTRAL_LAB).filter(code=code).first()
    if study is None or study.protocol.spectra is None:
        raise Http404("No such study")
    return study


def lab_batches(user, study):
    labs = access.laboratories_of(user, study)
    return [b for b in SpectraBatch.objects.active().filter(study=study).order_by("-created_at")
            if set(b.lab_code.split(",")) <= labs]


def lab_batch_get(*, user, pk):
    batch = SpectraBatch.objects.active().select_related("study").filter(pk=pk).first()
    if batch is None or not (user.is_superuser or access.has_study_role(
            user, Role.CENTRAL_LAB, batch.study)):
        raise Http404("No such batch")
    if not set(batch.lab_code.split(",")) <= access.laboratories_of(user, batch.study):
        raise Http404("No such batch")
    return batch


def batch_spectra(batch):
    """The batch's spectra with their aliquot labels only (no clinical data)."""
    return list(Spectrum.objects.active().filter(batch=batch)
                .select_related("aliquot").defer("values")
                .order_by("aliquot__label", "technique", "replicate"))


def statistician_studies(user):
    return [s for s in _studies_with_role(user, Role.STATISTICIAN) if s.protocol.spectra]


def statistician_study_get(*, user, code):
    study = next((s for s in statistician_studies(user) if s.code == code), None)
    if study is None:
        raise Http404("No such study")
    return study


def runs_of(study):
    return list(AnalysisRun.objects.active().filter(study=study).defer("results", "inputs")
                .order_by("-created_at"))


def run_get(*, user, pk):
    run = AnalysisRun.objects.active().select_related("study").filter(pk=pk).first()
    if run is None or not (user.is_superuser
                           or access.has_study_role(user, Role.STATISTICIAN, run.study)):
        raise Http404("No such analysis")
    return run


def requested_by(run):
    first = run.history.order_by("history_date").select_related("history_user").first()
    return first.history_user if first else None


