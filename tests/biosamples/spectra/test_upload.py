"""A laboratory's zip of spectra: stored as received, resampled, QC'd, all or nothing."""

import hashlib

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage

from biosamples.domain.lifecycle import AliquotStatus
from biosamples.models import Aliquot, CustodyEvent
from biosamples.spectra import services
from biosamples.spectra.domain.batch import BatchRejected
from biosamples.spectra.models import SpectraBatch, Spectrum
from tests.biosamples.spectra.conftest import (
    HEAD,
    WHEN,
    make_zip,
    qo_batch,
    spectrum_file,
)
from trialsite.models import Role


def upload(user, world, data, name="batch.zip"):
    return services.spectra_upload(actor=user, study=world.study_a, data=data, file_name=name)


def test_a_batch_is_stored_as_received_resampled_and_audited(world, at_labs, lab):
    data = qo_batch(at_labs[:2])
    batch = upload(lab, world, data)
    assert batch.spectrum_count == 6 and batch.flagged_count == 0
    assert batch.checksum_sha256 == hashlib.sha256(data).hexdigest()
    spectrum = Spectrum.objects.get(aliquot=at_labs[0], replicate=2)
    received = spectrum_file("QO", seed=2)
    with default_storage.open(spectrum.file.name, "rb") as handle:
        assert handle.read() == received
    assert spectrum.checksum_sha256 == hashlib.sha256(received).hexdigest()
    assert spectrum.array.size == 1051 and np.isfinite(spectrum.array).all()
    assert spectrum.grid[0] == 950.0 and spectrum.grid[-1] == 3050.0
    assert spectrum.qc_passed and spectrum.qc["coverage"] == 1.0
    assert spectrum.history.get().history_user == lab
    assert Aliquot.objects.get(pk=at_labs[0].pk).status == AliquotStatus.CONSUMED
    event = CustodyEvent.objects.get(aliquot=at_labs[0], action=CustodyEvent.Action.RESULT)
    assert "3 spectra (QO)" in event.detail


def test_csv_spectra_are_accepted_too(world, at_labs, lab):
    batch = upload(lab, world, qo_batch(at_labs[:1], replicates=1, fmt="csv"))
    assert batch.spectra.get().source_format == "csv"


def test_a_failing_spectrum_is_flagged_not_dropped(world, at_labs, lab):
    def short(grid, y):
        keep = grid < 2000
        return grid[keep], y[keep]

    data = make_zip([("a.jdx", at_labs[0].label, "QO", "FTIR", WHEN, 1)],
                    {"a.jdx": spectrum_file("QO", transform=short)})
    batch = upload(lab, world, data)
    spectrum = batch.spectra.get()
    assert not spectrum.qc_passed and "coverage" in spectrum.qc_flags
    assert batch.flagged_count == 1
    assert np.isnan(spectrum.array[-1])


def test_every_problem_is_reported_by_file_and_line_and_nothing_is_saved(world, at_labs, lab):
    bad_csv = b"wavenumber,absorbance\n1000,0.1\n1002,abc\n"
    rows = [
        ("good.jdx", at_labs[0].label, "QO", "FTIR", WHEN, 1),
        ("bad.csv", at_labs[1].label, "QO", "FTIR", WHEN, 1),
        ("missing.jdx", "NOPE-001", "QO", "", "yesterday", 0),
        ("good.jdx", at_labs[0].label, "QO", "FTIR", WHEN, 1),
    ]
    data = make_zip(rows, {"good.jdx": spectrum_file("QO"), "bad.csv": bad_csv,
                           "stray.jdx": b"x"})
    with pytest.raises(BatchRejected) as caught:
        upload(lab, world, data)
    text = [str(i) for i in caught.value.issues]
    assert "bad.csv, line 3: '1002', 'abc' are not two numbers" in text
    assert "manifest.csv, line 4: missing.jdx is not in the zip" in text
    assert "manifest.csv, line 4: NOPE-001 is not an aliquot received by your laboratory" in text
    assert "manifest.csv, line 4: instrument is empty" in text
    assert any(t.startswith("manifest.csv, line 4: acquired_at must be") for t in text)
    assert "manifest.csv, line 4: replicate must be a whole number from 1 to 20" in text
    assert "manifest.csv, line 5: good.jdx is also named on line 2" in text
    assert "stray.jdx: in the zip but not named in manifest.csv" in text
    assert not Spectrum.objects.exists() and not SpectraBatch.objects.exists()
    assert Aliquot.objects.get(pk=at_labs[0].pk).status == AliquotStatus.RECEIVED


def test_malformed_jcamp_is_refused_with_a_clear_message(world, at_labs, lab):
    broken = spectrum_file("QO").replace(b"##END=", b"")
    data = make_zip([("a.jdx", at_labs[0].label, "QO", "FTIR", WHEN, 1)], {"a.jdx": broken})
    with pytest.raises(BatchRejected) as caught:
        upload(lab, world, data)
    assert any("a.jdx" in str(i) and "no ##END= label" in str(i) for i in caught.value.issues)


def test_a_replicate_is_uploaded_once(world, at_labs, lab):
    upload(lab, world, qo_batch(at_labs[:1], replicates=1))
    with pytest.raises(BatchRejected, match="problem"):
        upload(lab, world, qo_batch(at_labs[:1], replicates=1))


def test_a_laboratory_reports_only_on_its_own_aliquots_and_techniques(world, at_labs, lab,
                                                                      raman_lab):
    # The Raman laboratory did not receive the QO laboratory's aliquots...
    with pytest.raises(BatchRejected) as caught:
        upload(raman_lab, world, qo_batch(at_labs[:1], replicates=1))
    text = " ".join(str(i) for i in caught.value.issues)
    assert "not an aliquot received by your laboratory" in text
    assert "technique 'QO' is not measured by your laboratory (expected RAMAN)" in text
    # ...and the QO laboratory never reaches the aliquot sent to the Raman laboratory.
    raman_aliquot = at_labs[2]
    data = make_zip([("r.jdx", raman_aliquot.label, "QO", "FTIR", WHEN, 1)],
                    {"r.jdx": spectrum_file("QO")})
    with pytest.raises(BatchRejected, match="problem") as caught:
        upload(lab, world, data)
    assert "not an aliquot received by your laboratory" in str(caught.value.issues[0])
    data = make_zip([("r.jdx", raman_aliquot.label, "RAMAN", "Raman-785", WHEN, 1)],
                    {"r.jdx": spectrum_file("RAMAN")})
    assert upload(raman_lab, world, data).spectra.get().technique == "RAMAN"


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.MONITOR, Role.DATA_MANAGER,
                                  Role.SPONSOR])
def test_only_laboratories_upload_spectra(world, at_labs, role):
    with pytest.raises(PermissionDenied):
        upload(world.users[role], world, qo_batch(at_labs[:1], replicates=1))


def test_not_a_zip_or_without_manifest_is_refused(world, at_labs, lab):
    with pytest.raises(BatchRejected) as caught:
        upload(lab, world, b"plain text")
    assert str(caught.value.issues[0]) == "(zip): not a zip file"
    with pytest.raises(BatchRejected) as caught:
        upload(lab, world, make_zip([], {}, manifest=HEAD.replace("replicate", "rep")))
    assert "missing column(s) replicate" in str(caught.value.issues[0])
