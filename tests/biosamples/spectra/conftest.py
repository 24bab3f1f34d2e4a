"""Aliquots received by the laboratories, zips of spectra as an instrument exports them."""

import io
import zipfile
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from biosamples.spectra.domain import qc, synthetic
from biosamples.spectra.domain.readers import jcamp_text
from tests.biosamples.test_services import received, shipped
from tests.factories import MembershipFactory, UserFactory
from trialsite.models import Role
from trialsite.protocols.icrg0201_spectra import QO, RAMAN

HEAD = "file,aliquot_label,technique,instrument,acquired_at,replicate\n"
WHEN = "2026-01-05T10:00:00+00:00"


def ship_to(world, coordinator, lab_user, aliquots, destination):
    from biosamples import services

    shipment = services.shipment_create(actor=coordinator, site=world.site_a1,
                                        destination_lab=destination)
    services.shipment_add_aliquots(actor=coordinator, shipment=shipment, aliquots=aliquots)
    services.shipment_ship(actor=coordinator, shipment=shipment,
                           shipped_at=timezone.now() - timedelta(hours=1), courier="DHL",
                           tracking_number="JD1", dry_ice=True)
    return received(lab_user, shipment, aliquots)


@pytest.fixture
def at_labs(world, stored, coordinator, lab, raman_lab):
    """Aliquots 1-2 received by the QO laboratory, aliquot 3 by the Raman laboratory."""
    received(lab, shipped(world, coordinator, stored[:2]), stored[:2])
    ship_to(world, coordinator, raman_lab, stored[2:3], "RAMAN")
    return stored


@pytest.fixture
def raman_lab(world):
    user = UserFactory(username="raman-lab")
    MembershipFactory(user=user, study=world.study_a, role=Role.CENTRAL_LAB, laboratory="RAMAN")
    return user


def spectrum_file(technique="QO", *, fmt="jdx", seed=0, transform=None):
    t = QO if technique == "QO" else RAMAN
    grid = qc.axis_values(t.axis)
    y = synthetic.spectrum(grid, technique=technique, responder=False,
                           rng=np.random.default_rng(seed))
    if transform:
        grid, y = transform(grid, y)
    if fmt == "jdx":
        return jcamp_text(grid, y, title="plasma", y_units="ABSORBANCE").encode()
    lines = "".join(f"{a},{b}\n" for a, b in zip(grid, y, strict=True))
    return ("wavenumber,intensity\n" + lines).encode()


def make_zip(rows, files, manifest=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.csv", manifest if manifest is not None else HEAD + "".join(
            ",".join(map(str, row)) + "\n" for row in rows))
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def qo_batch(aliquots, replicates=3, fmt="jdx"):
    rows, files = [], {}
    for a in aliquots:
        for r in range(1, replicates + 1):
            name = f"{a.label}_{r}.{fmt}"
            rows.append((name, a.label, "QO", "FTIR-QO-1", WHEN, r))
            files[name] = spectrum_file("QO", fmt=fmt, seed=r)
    return make_zip(rows, files)
