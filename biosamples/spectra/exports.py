"""Spectra datasets: one row per spectrum (file, checksum, QC), and the resampled values in long
format (one row per spectrum and wavenumber) for the statisticians' own tools."""

import math

import numpy as np
from django.core.files.storage import default_storage
from django.db.models import TextField
from django.db.models.functions import Cast

from biosamples.spectra.models import Spectrum
from trialsite.access import site_filter
from trialsite.exports.registry import (
    Dataset,
    Source,
    Var,
    bookkeeping,
    register,
    register_attachments,
    subject_keys,
)
from trialsite.models import CLINICAL_READ_ROLES, Role

ANALYSIS_ROLES = CLINICAL_READ_ROLES | {Role.STATISTICIAN}
_PATIENT = "aliquot__sample__visit__patient__"

SPECTRUM_VARIABLES = (
    *subject_keys(_PATIENT),
    Var("visit_code", "Visit code", source="aliquot__sample__visit__code"),
    Var("aliquot_label", "Aliquot label", source="aliquot__label"),
    Var("technique", "Technique (protocol spectroscopy plan)"),
    Var("replicate", "Replicate", "integer"),
    Var("instrument", "Instrument"),
    Var("acquired_at", "Acquired at (UTC)", "datetime"),
    Var("batch_file", "Batch (zip) the spectrum came in", source="batch__file_name"),
    Var("file_name", "File name in the batch"),
    Var("stored_file", "File as received, in the file storage", source="file"),
    Var("source_format", "Format (jcamp, csv)"),
    Var("checksum_sha256", "SHA-256 of the file as received"),
    Var("raw_points", "Points received", "integer"),
    Var("raw_min_cm1", "Lowest wavenumber received", "decimal", unit="cm-1"),
    Var("raw_max_cm1", "Highest wavenumber received", "decimal", unit="cm-1"),
    Var("qc_passed", "QC passed (1) or flagged (0)", "boolean"),
    Var("qc_flags", "QC flags (JSON list)", source=Cast("qc_flags", TextField())),
    Var("qc", "QC figures (JSON: coverage, saturated_fraction, snr, water_ratio)",
        source=Cast("qc", TextField())),
    *bookkeeping(),
)

register(Dataset(
    name="spectra", label="Spectra",
    description="Every spectrum the laboratories uploaded: aliquot, technique, replicate, the "
                "file as received with its SHA-256, and the QC figures and flags.",
    variables=SPECTRUM_VARIABLES,
    sources=(Source(lambda: Spectrum.objects.all(), SPECTRUM_VARIABLES, site_path="site",
                    study_path="site__study", patient_path=_PATIENT.rstrip("_"),
                    subject_path=f"{_PATIENT}subject_id"),),
    order_by=("site", "subject_id", "record_id"),
    roles=ANALYSIS_ROLES,
    odm_form="spectra", odm_repeating=True,
))

POINT_VARIABLES = (
    Var("study", "Study code"),
    Var("site", "Site code"),
    Var("subject_id", "Subject id (pseudonym)"),
    Var("visit_code", "Visit code"),
    Var("aliquot_label", "Aliquot label"),
    Var("technique", "Technique"),
    Var("replicate", "Replicate", "integer"),
    Var("spectrum_record_id", "Spectrum (record_id in spectra)", "integer"),
    Var("wavenumber_cm1", "Wavenumber of the technique's declared axis", "decimal",
        unit="cm-1"),
    Var("value", "Resampled value (empty where the measurement did not reach)", "decimal"),
)


def point_rows(user, filters):
    """Streamed spectrum by spectrum; QC-flagged spectra included (see the spectra dataset)."""
    qs = (Spectrum.objects.active().filter(site_filter(user, roles=ANALYSIS_ROLES))
          .order_by("site__code", f"{_PATIENT}subject_id", "pk")
          .values_list("site__study__code", "site__code", f"{_PATIENT}subject_id",
                       "aliquot__sample__visit__code", "aliquot__label", "technique",
                       "replicate", "pk", "axis_start", "axis_step", "axis_size", "values",
                       f"{_PATIENT}pk"))
    if filters.site:
        qs = qs.filter(site__code=filters.site)
    if filters.study:
        qs = qs.filter(site__study__code=filters.study)
    if filters.patient_ids is not None:
        qs = qs.filter(**{f"{_PATIENT}pk__in": filters.patient_ids})
    for (study, site, subject, visit, label, technique, replicate, pk, start, step, size,
         values, _patient) in qs.iterator(chunk_size=100):
        array = np.frombuffer(bytes(values), dtype="<f8")
        for k in range(size):
            value = float(array[k])
            yield (study, site, subject, visit, label, technique, replicate, pk,
                   round(start + k * step, 6), None if math.isnan(value) else value)


register(Dataset(
    name="spectrum_points", label="Spectra, resampled values (long format)",
    description="One row per spectrum and wavenumber of the technique's declared axis: the "
                "values the analysis starts from. Derived: always exported whole.",
    variables=POINT_VARIABLES, rows=point_rows, incremental=False, roles=ANALYSIS_ROLES,
))


def _file_chunks(name):
    def chunks():
        with default_storage.open(name, "rb") as handle:
            while block := handle.read(1 << 20):
                yield block
    return chunks


def raw_files(user):
    """Each visible spectrum's file as received, under
    ``spectra/<site>/<subject>/<aliquot>/<technique>_<replicate>_<file name>``."""
    qs = (Spectrum.objects.active().filter(site_filter(user, roles=ANALYSIS_ROLES))
          .order_by("pk").values_list("site__code", f"{_PATIENT}subject_id", "aliquot__label",
                                      "technique", "replicate", "file_name", "file"))
    for site, subject, label, technique, replicate, file_name, stored in qs.iterator():
        leaf = file_name.replace("/", "_")
        yield (f"spectra/{site}/{subject}/{label}/{technique}_{replicate}_{leaf}",
               _file_chunks(stored))


register_attachments(raw_files)
