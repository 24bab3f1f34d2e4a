"""Exports that read the database many times are one data cut (PostgreSQL snapshot).

These tests commit a change from another connection while an export is being written, which
needs real commits: they run on PostgreSQL with transactional test databases.
"""

import io
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from lxml import etree

from trialsite import files
from trialsite.audit import audited_save
from trialsite.exports import odm, packages
from trialsite.exports.models import DataPackage
from trialsite.exports.odm import odm_chunks
from trialsite.exports.snapshot import run_outside
from trialsite.models import Role
from visits.crf.models import VitalSigns

pytestmark = [pytest.mark.postgres]

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}
WEIGHT = (".//odm:SubjectData[@SubjectKey='ATWO-001']"
          "//odm:ItemData[@ItemOID='IT.VITAL_SIGNS.WEIGHT_KG']")


@pytest.fixture
def committed_trial(transactional_db, trial):
    return trial


def _change_weight_elsewhere(trial):
    """Another user's correction, committed on another connection; returns the new weight."""

    def change():
        vitals = VitalSigns.objects.get(visit__patient=trial.patient_a2)
        vitals.weight_kg += Decimal("1.5")
        audited_save(vitals, actor=trial.users[Role.COORDINATOR], reason="Scale recalibrated",
                     changed={"weight_kg"})
        return vitals.weight_kg

    return run_outside(change)


def test_odm_written_while_data_change_holds_the_data_as_at_its_start(committed_trial,
                                                                      monkeypatch):
    trial = committed_trial
    monkeypatch.setattr(odm, "SUBJECTS_PER_CHUNK", 1)  # the second subject is read later
    before = VitalSigns.objects.get(visit__patient=trial.patient_a2).weight_kg
    chunks = odm_chunks(trial.users[Role.SPONSOR], data_cut=datetime(2026, 11, 21, tzinfo=UTC))
    head = next(chunks)  # the metadata: the snapshot is taken
    after = _change_weight_elsewhere(trial)
    document = etree.fromstring(head + b"".join(chunks))
    assert Decimal(document.find(WEIGHT, NS).get("Value")) == before
    # The change did land: the next export has it.
    assert after != before
    later = etree.fromstring(b"".join(odm_chunks(trial.users[Role.SPONSOR],
                                                 data_cut=datetime(2026, 11, 22, tzinfo=UTC))))
    assert Decimal(later.find(WEIGHT, NS).get("Value")) == after


def test_package_is_one_data_cut_and_shows_its_progress_meanwhile(committed_trial, monkeypatch):
    trial = committed_trial
    sponsor = trial.users[Role.SPONSOR]
    package = DataPackage.objects.create(requested_by=sponsor)
    before = VitalSigns.objects.get(visit__patient=trial.patient_a2).weight_kg
    seen_outside = []
    write = packages._write

    def write_then_change(archive, name, chunks):
        result = write(archive, name, chunks)
        if name == "subjects.csv":
            # What a user polling the package sees, on another connection, mid-build.
            seen_outside.append(run_outside(lambda: DataPackage.objects.values_list(
                "status", "current_step").get(pk=package.pk)))
            _change_weight_elsewhere(trial)
        return result

    monkeypatch.setattr(packages, "_write", write_then_change)
    packages.build_package(package)

    package.refresh_from_db()
    assert package.status == DataPackage.Status.READY, package.error
    assert seen_outside == [(DataPackage.Status.RUNNING, "subjects.csv")]
    archive = zipfile.ZipFile(files.open_file(packages.package_name(package)))
    vitals = archive.read("vital_signs.csv").decode()
    rows = {line.split(",")[2]: line for line in vitals.splitlines()[1:]}
    assert f",{before}," in rows["ATWO-001"]
    document = etree.parse(io.BytesIO(archive.read("odm.xml")))
    assert Decimal(document.find(WEIGHT, NS).get("Value")) == before
    assert package.data_cut < VitalSigns.objects.get(visit__patient=trial.patient_a2).updated_at
