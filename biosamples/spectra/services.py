"""Writes of the spectra sub-domain: a laboratory's batch upload, and analysis runs."""

import hashlib
import json
from collections import defaultdict

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from biosamples.domain.lifecycle import AliquotStatus, Receipt, ShipmentStatus
from biosamples.models import Aliquot
from biosamples.services import aliquots_measured
from biosamples.spectra.domain import qc
from biosamples.spectra.domain.batch import BatchRejected, Issue, read_batch, sha256
from biosamples.spectra.models import AnalysisRun, SpectraBatch, Spectrum, spectrum_upload_to
from trialsite import access
from trialsite.audit import audited_save, bulk_create_audited
from trialsite.models import Role


def spectra_plan_of(study):
    plan = study.protocol.spectra
    if plan is None:
        raise ValidationError(f"{study.code} measures no spectra.")
    return plan


def lab_aliquots(actor, study, labs):
    """Aliquots received in good order by one of ``labs``: label -> (aliquot, lab code)."""
    rows = (Aliquot.objects.filter(
        site__study=study, status__in=[AliquotStatus.RECEIVED, AliquotStatus.CONSUMED],
        shipment_items__voided_at__isnull=True, shipment_items__receipt=Receipt.RECEIVED,
        shipment_items__shipment__status=ShipmentStatus.RECEIVED,
        shipment_items__shipment__destination_lab__in=labs)
        .select_related("sample")
        .values_list("pk", "label", "shipment_items__shipment__destination_lab"))
    return {label: (pk, lab) for pk, label, lab in rows}


def spectra_upload(*, actor, study, data, file_name):
    """Import a laboratory's zip of spectra: every file valid, or nothing saved and every
    problem reported by file and line (``BatchRejected``). Files are stored as received."""
    if not access.has_study_role(actor, Role.CENTRAL_LAB, study) and not actor.is_superuser:
        raise PermissionDenied("Only the study's laboratories upload spectra.")
    plan = spectra_plan_of(study)
    labs = access.laboratories_of(actor, study)
    techniques_of_lab = {lab: {t.code for t in plan.technique_of_lab(lab)} for lab in labs}
    techniques = set().union(*techniques_of_lab.values()) if labs else set()
    if not techniques:
        raise PermissionDenied("Your laboratory measures no technique of this study's plan.")
    known = lab_aliquots(actor, study, labs)
    taken = set(Spectrum.objects.active().filter(aliquot__site__study=study).values_list(
        "aliquot__label", "technique", "replicate"))
    entries = read_batch(data, techniques=techniques, labels=set(known), now=timezone.now(),
                         taken=frozenset(taken))
    issues = []
    for entry in entries:
        lab = known[entry.aliquot_label][1]
        if entry.technique not in techniques_of_lab[lab]:
            issues.append(Issue("manifest.csv", entry.line,
                                f"{entry.aliquot_label} was sent to {lab}, which does not "
                                f"measure {entry.technique}"))
    if issues:
        raise BatchRejected(issues)

    grids = {t.code: (t, qc.axis_values(t.axis)) for t in plan.techniques}
    aliquots = {a.pk: a for a in Aliquot.objects.filter(
        pk__in=[known[e.aliquot_label][0] for e in entries]).select_related("sample")}
    batch = SpectraBatch(study=study, lab_code=",".join(sorted(labs)), file_name=file_name[:255],
                         checksum_sha256=sha256(data), spectrum_count=len(entries))
    spectra = []
    for entry in entries:
        technique, grid = grids[entry.technique]
        raw = entry.spectrum
        values = qc.resample(raw.x, raw.y, grid)
        result = qc.quality(raw.x, raw.y, grid, values, technique.qc)
        aliquot = aliquots[known[entry.aliquot_label][0]]
        spectra.append(Spectrum(
            batch=batch, site_id=aliquot.site_id, aliquot=aliquot, technique=entry.technique,
            instrument=entry.instrument, acquired_at=entry.acquired_at,
            replicate=entry.replicate, file_name=entry.file[:255],
            source_format=entry.source_format, checksum_sha256=entry.checksum,
            raw_points=int(raw.x.size), raw_min_cm1=float(raw.x[0]),
            raw_max_cm1=float(raw.x[-1]), axis_start=technique.axis.start,
            axis_step=technique.axis.step, axis_size=technique.axis.size,
            values=values.astype("<f8").tobytes(), qc=result.figures(),
            qc_flags=list(result.flags), qc_passed=result.passed))
    batch.flagged_count = sum(1 for s in spectra if not s.qc_passed)
    stored = []
    try:
        with transaction.atomic():
            audited_save(batch, actor=actor)
            for spectrum, entry in zip(spectra, entries, strict=True):
                spectrum.batch = batch
                name = default_storage.save(
                    spectrum_upload_to(spectrum, entry.file.replace("/", "_")),
                    ContentFile(entry.data))
                stored.append(name)
                spectrum.file.name = name
            bulk_create_audited(Spectrum, spectra, actor=actor,
                                reason=f"Spectra batch {file_name}")
            per_aliquot = defaultdict(list)
            for spectrum in spectra:
                per_aliquot[spectrum.aliquot_id].append(spectrum.technique)
            details = {pk: f"{len(rows)} spectra ({', '.join(sorted(set(rows)))}) in "
                           f"{batch.file_name}" for pk, rows in per_aliquot.items()}
            aliquots_measured(actor=actor, aliquots=[aliquots[pk] for pk in per_aliquot],
                              at=max(e.acquired_at for e in entries), location=batch.lab_code,
                              details=details)
    except Exception:
        for name in stored:  # nothing saved: no orphan files either
            default_storage.delete(name)
        raise
    return batch


# --- analysis runs ------------------------------------------------------------------------------


def require_statistician(actor, study):
    if not (actor.is_superuser or access.has_study_role(actor, Role.STATISTICIAN, study)):
        raise PermissionDenied("Only the study statistician runs the fingerprint analysis.")


def digest(value):
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":"),
                                     default=str).encode()).hexdigest()


def analysis_request(*, actor, study, age_stratified=False, permutations=None, seed=None):
    """Queue a run of the protocol's analysis; the job (``tasks.run_analysis``) does the work."""
    require_statistician(actor, study)
    plan = spectra_plan_of(study)
    run = AnalysisRun(study=study, data_cut=timezone.now(),
                      seed=plan.classifier.seed if seed is None else seed,
                      age_stratified=age_stratified,
                      permutations=(plan.classifier.permutations if permutations is None
                                    else permutations))
    audited_save(run, actor=actor)
    from biosamples.spectra import tasks

    transaction.on_commit(lambda: tasks.run_analysis.delay(run.pk))
    return run


def _np_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value))
