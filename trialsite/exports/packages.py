"""Build a data package: every dataset (CSV, and as SAS, SPSS and Stata files), the
dictionary, the ODM file and a README, in a zip; or one dataset as one statistical file.

CSV and ODM files are streamed into the zip (constant memory) while their SHA-256 is computed;
a dataset's statistical files are built from its rows read once (see ``statfiles``). The README
lists the data cut time and every file's checksum, and the package row keeps the zip's own.
Progress is one step per dataset, file or job part, written to the package row as it goes.

The file is built in a private temporary file of the worker, then saved through Django's
storage API (``trialsite.files``) to the store every web process reads: nothing half-written is
ever in the store, and the temporary file is removed whatever happens.
"""

import hashlib
import logging
import zipfile
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from trialsite import files
from trialsite.exports import statfiles
from trialsite.exports.dictionary import HEADER, dictionary_rows
from trialsite.exports.models import DataPackage
from trialsite.exports.odm import odm_chunks
from trialsite.exports.registry import (
    Filters,
    all_datasets,
    attachments_for,
    csv_stream,
    get_dataset,
    iter_rows,
)
from trialsite.exports.snapshot import run_outside, snapshot
from trialsite.exports.streaming import csv_chunks

logger = logging.getLogger(__name__)


PACKAGES = "packages"


def package_name(package) -> str:
    """The package's name in the file store."""
    return f"{PACKAGES}/{package.file_name}"


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
        "xpt/, sav/ and dta/ hold the same datasets as SAS transport v5, SPSS and Stata files,",
        "with variable and value labels; dictionary.csv gives each variable's name in them",
        "(columns xpt_name, sav_name, dta_name).",
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


def _stat_files(dataset, user, filters):
    """``[(name, chunks)]`` of the dataset's three statistical files, from one read."""
    frame = statfiles.dataset_frame(dataset, list(iter_rows(dataset, user, filters)))
    return [(f"{fmt}/{dataset.name}.{fmt}", statfiles.file_chunks(dataset, frame, fmt))
            for fmt in statfiles.FORMATS]


def _retention():
    return timedelta(days=settings.TRIALSITE_PACKAGE_RETENTION_DAYS)


def _build(package, data_cut, progress):
    if package.dataset:
        _build_stat_file(package, data_cut, progress)
        return
    user = package.requested_by
    datasets = all_datasets()
    # Files the apps attach (e.g. the spectra as received), after the datasets.
    attached = list(attachments_for(user))
    package.file_name = f"trialsite-data-{data_cut:%Y%m%dT%H%M%SZ}-{package.pk}.zip"
    # One step per CSV file, one per dataset's statistical files, dictionary, ODM, README.
    progress(package, status=DataPackage.Status.RUNNING, data_cut=data_cut,
             steps_total=2 * len(datasets) + 3 + len(attached), steps_done=0,
             file_name=package.file_name)
    written = []
    try:
        with files.scratch_file(".zip") as partial:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED,
                                 compresslevel=1) as archive:
                steps = [(f"{d.name}.csv", lambda d=d: [(f"{d.name}.csv",
                                                         csv_stream(d, user, Filters()))])
                         for d in datasets]
                steps.extend((f"{d.name} (SAS, SPSS, Stata)",
                              lambda d=d: _stat_files(d, user, Filters())) for d in datasets)
                steps.append(("dictionary.csv", lambda: [
                    ("dictionary.csv", csv_chunks(HEADER, dictionary_rows()))]))
                steps.append(("odm.xml",
                              lambda: [("odm.xml", odm_chunks(user, data_cut=data_cut))]))
                steps.extend((name, lambda name=name, chunks=chunks: [(name, chunks())])
                             for name, chunks in attached)
                for done, (step, parts) in enumerate(steps):
                    progress(package, steps_done=done, current_step=step)
                    for name, chunks in parts():
                        digest, _ = _write(archive, name, chunks)
                        written.append((name, digest, None))
                progress(package, steps_done=len(steps), current_step="README.txt")
                archive.writestr("README.txt", _readme(package, data_cut, written))
            stored = files.store(partial, package_name(package))
        finished = timezone.now()
        progress(package, status=DataPackage.Status.READY, steps_done=len(steps) + 1,
                 current_step="", finished_at=finished, size_bytes=stored.size,
                 sha256=stored.sha256, file_name=stored.name.rpartition("/")[2],
                 expires_at=finished + _retention())
    except Exception as exc:
        progress(package, status=DataPackage.Status.FAILED, error=str(exc)[:2000],
                 finished_at=timezone.now())
        logger.exception("data package %s failed", package.pk)


def _build_stat_file(package, data_cut, progress):
    """One dataset as one statistical file (read, then written)."""
    dataset = get_dataset(package.dataset)
    fmt = package.file_format
    package.file_name = (f"{dataset.name}-{data_cut:%Y%m%dT%H%M%SZ}-{package.pk}.{fmt}")
    progress(package, status=DataPackage.Status.RUNNING, data_cut=data_cut, steps_total=2,
             steps_done=0, current_step=f"reading {dataset.name}", file_name=package.file_name)
    try:
        frame = statfiles.dataset_frame(
            dataset, list(iter_rows(dataset, package.requested_by, Filters())))
        progress(package, steps_done=1, current_step=f"writing {package.file_name}")
        with files.scratch_file(f".{fmt}") as partial:
            statfiles.write(dataset, frame, fmt, partial)
            stored = files.store(partial, package_name(package))
        finished = timezone.now()
        progress(package, status=DataPackage.Status.READY, steps_done=2, current_step="",
                 finished_at=finished, size_bytes=stored.size, sha256=stored.sha256,
                 file_name=stored.name.rpartition("/")[2], expires_at=finished + _retention())
    except Exception as exc:
        progress(package, status=DataPackage.Status.FAILED, error=str(exc)[:2000],
                 finished_at=timezone.now())
        logger.exception("statistical file %s failed", package.pk)


def purge_expired_packages(now=None):
    """Delete the files of packages past their expiry from the store; their rows stay (who
    asked for what, when) and say the package expired. Returns how many were purged."""
    now = now or timezone.now()
    expired = DataPackage.objects.filter(status=DataPackage.Status.READY, expires_at__lt=now)
    count = 0
    for package in expired:
        files.delete(package_name(package))
        DataPackage.objects.filter(pk=package.pk).update(status=DataPackage.Status.EXPIRED)
        count += 1
    return count
