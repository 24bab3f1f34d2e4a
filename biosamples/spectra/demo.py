"""Demo spectra for ICRG0201 (synthetic, no real data): one aliquot of every processed sample
goes to the central quantum-optics laboratory, and one of every BL and M3 sample to the Raman
benchmark laboratory, through the real services (storage, shipment, receipt); each laboratory
then uploads its zip of JCAMP-DX files, 3 replicates per aliquot. Responders (from the demo's
tumour assessments, read through ``trialsite.responses``) carry a small planted difference of
two band heights, so the analysis page has something to find. Safe to run again: a study that
already has spectra is left alone."""

import io
import zipfile
from datetime import timedelta

import numpy as np
from django.utils import timezone

from biosamples import services as sample_services
from biosamples.models import Aliquot, Box
from biosamples.spectra import services
from biosamples.spectra.domain import synthetic
from biosamples.spectra.domain.readers import jcamp_text
from biosamples.spectra.models import Spectrum
from trialsite import responses
from trialsite.models import Role, Study, User
from trialsite.monitoring.models import CasebookSignature

REPLICATES = 3
#: Raw instrument axes (finer than the protocol's resampling axes, as instruments export).
RAW_AXES = {"QO": np.arange(940.0, 3061.0, 1.0), "RAMAN": np.arange(380.0, 1821.0, 0.5)}
PLAN = (("QOLAB", "QO", 3, None), ("RAMAN", "RAMAN", 4, ("BL", "M3")))


def seed_late(context):
    study = Study.objects.filter(code="ICRG0201").first()
    # Each laboratory's own demo account receives its shipments and uploads its spectra.
    labs = {code: User.objects.filter(username=username).first()
            for code, username in (("QOLAB", "centrallab"), ("RAMAN", "ramanlab"))}
    if study is None or None in labs.values() \
            or Spectrum.objects.filter(site__study=study).exists():
        return
    outcome = responses.responses_for(study)
    now = timezone.now()
    staff = context.get("site_staff", {})
    measured = {"QOLAB": [], "RAMAN": []}
    # The demo does not change a casebook its investigator has already signed: that patient's
    # aliquots stay at the site (a later shipment would rightly void the signature's coverage).
    signed = set(CasebookSignature.objects.values_list("patient_pk", flat=True))
    for site_code, people in sorted(staff.items()):
        coordinator = people.get(Role.COORDINATOR, [None])[0]
        if coordinator is None:
            continue
        for lab_code, _technique, number, visits in PLAN:
            aliquots = list(Aliquot.objects.filter(
                site__code=site_code, site__study=study, number=number,
                status__in=["created", "stored"], sample__status="processed")
                .exclude(sample__visit__patient__pk__in=signed)
                .select_related("sample__visit__patient", "site").order_by("label"))
            if visits:
                aliquots = [a for a in aliquots if a.sample.visit.code in visits]
            if not aliquots:
                continue
            _store(coordinator, aliquots)
            shipment = sample_services.shipment_create(actor=coordinator,
                                                       site=aliquots[0].site,
                                                       destination_lab=lab_code)
            sample_services.shipment_add_aliquots(actor=coordinator, shipment=shipment,
                                                  aliquots=aliquots)
            sample_services.shipment_ship(actor=coordinator, shipment=shipment,
                                          shipped_at=now - timedelta(days=9),
                                          courier="World Courier",
                                          tracking_number=f"WC-SP-{shipment.pk:05d}",
                                          dry_ice=True)
            shipment.refresh_from_db()
            sample_services.shipment_receive(
                actor=labs[lab_code], shipment=shipment, received_at=now - timedelta(days=7),
                arrival_condition="frozen", receipts={a.label: "received" for a in aliquots})
            measured[lab_code] += aliquots
    for lab_code, technique, _number, _visits in PLAN:
        if measured[lab_code]:
            data = _zip(measured[lab_code], technique, outcome, now - timedelta(days=2))
            services.spectra_upload(actor=labs[lab_code], study=study, data=data,
                                    file_name=f"{lab_code.lower()}-demo-batch.zip")


def _store(coordinator, aliquots):
    site = aliquots[0].site
    boxes = list(Box.objects.filter(rack__freezer__site=site).order_by("name"))
    for aliquot in aliquots:
        if aliquot.status == "stored":
            continue
        box, row, column = _free(boxes)
        if box is None:
            box = sample_services.storage_create(
                actor=coordinator, site=site, freezer_name="-80 °C freezer S",
                rack_name="Spectra rack", box_name=f"Spectra box {len(boxes) + 1}")
            box.filled = set()
            boxes.append(box)
            row, column = 1, 1
        sample_services.aliquot_store(actor=coordinator, aliquot=aliquot, box=box, row=row,
                                      column=column)
        box.filled.add((row, column))


def _free(boxes):
    for box in boxes:
        if not hasattr(box, "filled"):
            box.filled = set(Aliquot.objects.filter(box=box).values_list("position_row",
                                                                         "position_column"))
        for row in range(1, box.rows + 1):
            for column in range(1, box.columns + 1):
                if (row, column) not in box.filled:
                    return box, row, column
    return None, None, None


def _zip(aliquots, technique, outcome, acquired):
    grid = RAW_AXES[technique]
    rows, buffer = [], io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for aliquot in aliquots:
            patient = aliquot.sample.visit.patient
            response = outcome.get(patient.pk)
            responder = bool(response and response.responder)
            # The patient's own profile is the same at every visit (seeded by the patient).
            profile = synthetic.subject_profile(technique, np.random.default_rng(patient.pk))
            rng = np.random.default_rng(aliquot.pk)
            for replicate in range(1, REPLICATES + 1):
                name = f"{aliquot.label}_{technique}_{replicate}.jdx"
                y = synthetic.spectrum(grid, technique=technique, responder=responder, rng=rng,
                                       subject_shift=profile, effect=1.0)
                archive.writestr(name, jcamp_text(grid, y, title=name, y_units=(
                    "ABSORBANCE" if technique == "QO" else "COUNTS")))
                rows.append(f"{name},{aliquot.label},{technique},"
                            f"{'QO-FTIR-2' if technique == 'QO' else 'Raman-785-1'},"
                            f"{acquired.isoformat()},{replicate}")
        archive.writestr("manifest.csv", "file,aliquot_label,technique,instrument,"
                                         "acquired_at,replicate\n" + "\n".join(rows) + "\n")
    return buffer.getvalue()
