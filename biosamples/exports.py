"""Biosample datasets: samples (draw, processing, pre-analytical deviations), aliquots and
shipments. Rows follow the clinical read roles, as the clinical datasets do."""

from django.db.models import TextField
from django.db.models.functions import Cast

from biosamples.models import Aliquot, Sample, Shipment
from trialsite.exports.registry import (
    Dataset,
    Source,
    Var,
    bookkeeping,
    codes_of,
    register,
    subject_keys,
)

_SAMPLE_SITE = {"site_path": "site", "study_path": "site__study", "patient_path": "visit__patient",
                "subject_path": "visit__patient__subject_id"}

SAMPLE_VARIABLES = (
    *subject_keys("visit__patient__"),
    Var("visit_code", "Visit code", source="visit__code"),
    Var("sample_code", "Expected sample (protocol sample plan)"),
    Var("status", "Sample status", codes=codes_of(Sample.Status)),
    Var("drawn_at", "Drawn at (UTC)", "datetime"),
    Var("tube_type", "Tube type"),
    Var("not_collected_reason", "Reason not collected"),
    Var("centrifuge_started_at", "Centrifugation started (UTC)", "datetime"),
    Var("haemolysis", "Haemolysis", codes=codes_of(Sample.Haemolysis)),
    Var("frozen_at", "Frozen at (UTC)", "datetime"),
    Var("aliquot_count", "Aliquots made", "integer"),
    Var("aliquot_volume_ml", "Aliquot volume", "decimal", unit="mL"),
    Var("draw_to_centrifuge_minutes", "Draw to centrifugation", "integer", unit="min"),
    Var("draw_to_freeze_minutes", "Draw to freezing", "integer", unit="min"),
    Var("deviations", "Pre-analytical deviation codes (JSON list)",
        source=Cast("deviations", TextField())),
    Var("deviation_text", "Pre-analytical deviation"),
    *bookkeeping(),
)

register(Dataset(
    name="samples", label="Samples",
    description="Every expected sample of every visit: drawn, processed or not collected, "
                "with processing times and pre-analytical deviations.",
    variables=SAMPLE_VARIABLES,
    sources=(Source(lambda: Sample.objects.all(), SAMPLE_VARIABLES, **_SAMPLE_SITE),),
    order_by=("site", "subject_id", "record_id"),
    odm_form="samples", odm_repeating=True,
))

ALIQUOT_VARIABLES = (
    *subject_keys("sample__visit__patient__"),
    Var("visit_code", "Visit code", source="sample__visit__code"),
    Var("sample_record_id", "Sample (record_id in samples)", "integer", "sample_id"),
    Var("label", "Aliquot label"),
    Var("number", "Aliquot number within the sample", "integer"),
    Var("parent_label", "Parent aliquot (when split)", source="parent__label"),
    Var("volume_ml", "Volume", "decimal", unit="mL"),
    Var("status", "Aliquot status", codes=codes_of(Aliquot.Status)),
    Var("freeze_thaw_count", "Freeze-thaw cycles", "integer"),
    Var("box", "Storage box", source="box__name"),
    Var("position_row", "Box row", "integer"),
    Var("position_column", "Box column", "integer"),
    *bookkeeping(),
)

register(Dataset(
    name="aliquots", label="Aliquots",
    description="Every aliquot: label, volume, status, freeze-thaw cycles and storage position.",
    variables=ALIQUOT_VARIABLES,
    sources=(Source(lambda: Aliquot.objects.all(), ALIQUOT_VARIABLES, site_path="site",
                    study_path="site__study", patient_path="sample__visit__patient",
                    subject_path="sample__visit__patient__subject_id"),),
    order_by=("site", "label", "record_id"),
    odm_form="aliquots", odm_repeating=True,
))

SHIPMENT_VARIABLES = (
    Var("study", "Study code", source="site__study__code"),
    Var("site", "Site code", source="site__code"),
    Var("reference", "Shipment reference"),
    Var("destination_lab", "Destination laboratory"),
    Var("status", "Shipment status", codes=codes_of(Shipment.Status)),
    Var("shipped_at", "Shipped at (UTC)", "datetime"),
    Var("courier", "Courier"),
    Var("tracking_number", "Tracking number"),
    Var("dry_ice", "On dry ice", "boolean"),
    Var("received_at", "Received at (UTC)", "datetime"),
    Var("arrival_condition", "Arrival condition", codes=codes_of(Shipment.Condition)),
    Var("discrepancies", "Discrepancies at receipt"),
    *bookkeeping(),
)

register(Dataset(
    name="shipments", label="Shipments",
    description="Shipments of aliquots to the central laboratories (one row per shipment).",
    variables=SHIPMENT_VARIABLES,
    sources=(Source(lambda: Shipment.objects.all(), SHIPMENT_VARIABLES, site_path="site",
                    study_path="site__study", patient_path="", subject_path=""),),
    order_by=("site", "reference", "record_id"),
))

# The spectra datasets (one row per spectrum; resampled values in long format).
from biosamples.spectra import exports as spectra_exports  # noqa: E402, F401
