"""Build a data package: every dataset, the dictionary, the ODM file and a README, in a zip.

Each file is streamed into the zip (constant memory) while its SHA-256 is computed; the README
lists the data cut time and every file's checksum, and the package row keeps the zip's own.
Progress is one step per file, written to the package row as it goes.
"""

import hashlib
import logging
import os
import zipfile
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from trialsite.exports.dictionary import HEADER, dictionary_rows
from trialsite.exports.models import DataPackage
from trialsite.exports.odm import odm_chunks
from trialsite.exports.registry import Filters, all_datasets, attachments_for, csv_stream
from trialsite.exports.snapshot import run_outside, snapshot
from trialsite.exports.streaming import csv_chunks

logger = logging.getLogger(__name__)


def packages_dir() -> Path:
    """``TRIALSITE_EXPORTS_DIR`` (setting or environment), else ``var/exports``."""
    configured = (getattr(settings, "TRIALSITE_EXPORTS_DIR", None)
                  or os.environ.get("TRIALSITE_EXPORTS_DIR"))
    return Path(configured) if configured else Path(settings.VAR_DIR) / "exports"


def package_path(package) -> Path:
    return packages_dir() / package.file_name


def _progress(package, **fields):
    DataPackage.objects.filter(pk=package.pk).update(**fields)


def _write(archive, name, chunks):
    digest, size = hashlib.sha256(), 0
    with archive.open(name, "w", force_zip64=True) as out:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def _readme(package, data_cut, files):
    lines = [
        "trialsite data package",
        "======================",
        "",
        f"Package: {package.pk}",
        f"Requested by: {package.requested_by.username}",
        f"Data cut (UTC): {data_cut.isoformat()}",
        "",
        "Every dataset is a UTF-8 CSV file with a header row; variables, types, units and",
        "allowed codes are in dictionary.csv; odm.xml is the same data as CDISC ODM 1.3.2.",
        "Rows are what the requesting account may see; voided records are left out.",
        "",
        "SHA-256 checksums (verify with: sha256sum -c, after saving these lines to a file):",
        "",
        *(f"{digest}  {name}" for name, digest, _ in files),
        "",
    ]
    return "\n".join(lines).encode()


def build_package(package):
    """Write the package's zip and mark it ready (or failed, with the reason).

    Every file is read from one snapshot of the database (see ``snapshot``), whose time is the
    data cut. The build's transaction is read-only and seen by nobody, so its progress is
    written beside it on a connection of its own, for the user who polls it."""
    with snapshot() as taken_at:
        if taken_at is None:
            _build(package, timezone.now(), _progress)
        else:
            _build(package, taken_at,
                   lambda package, **fields: run_outside(lambda: _progress(package, **fields)))


def _build(package, data_cut, progress):
    user = package.requested_by
    datasets = all_datasets()
    # Files the apps attach (e.g. the spectra as received), after the datasets.
    attached = list(attachments_for(user))
    package.file_name = f"trialsite-data-{data_cut:%Y%m%dT%H%M%SZ}-{package.pk}.zip"
    progress(package, status=DataPackage.Status.RUNNING, data_cut=data_cut,
             steps_total=len(datasets) + 3 + len(attached), steps_done=0,
             file_name=package.file_name)
    target = package_path(package)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    files = []
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED,
                             compresslevel=1) as archive:
            steps = [(f"{d.name}.csv", lambda d=d: csv_stream(d, user, Filters()))
                     for d in datasets]
            steps.append(("dictionary.csv", lambda: csv_chunks(HEADER, dictionary_rows())))
            steps.append(("odm.xml", lambda: odm_chunks(user, data_cut=data_cut)))
            steps += attached
            for done, (name, chunks) in enumerate(steps):
                progress(package, steps_done=done, current_step=name)
                digest, _ = _write(archive, name, chunks())
                files.append((name, digest, None))
            progress(package, steps_done=len(steps), current_step="README.txt")
            archive.writestr("README.txt", _readme(package, data_cut, files))
        partial.replace(target)
        digest = hashlib.sha256()
        with target.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        progress(package, status=DataPackage.Status.READY, steps_done=len(steps) + 1,
                  current_step="", finished_at=timezone.now(), size_bytes=target.stat().st_size,
                  sha256=digest.hexdigest())
    except Exception as exc:
        partial.unlink(missing_ok=True)
        progress(package, status=DataPackage.Status.FAILED, error=str(exc)[:2000],
                  finished_at=timezone.now())
        logger.exception("data package %s failed", package.pk)
