"""Build a site archive: every casebook PDF of the site, its ODM file with audit records, its
CSV datasets and the dictionary, and a manifest with every file's SHA-256, in one zip.

Read in one snapshot (PostgreSQL), whose time is the data cut printed on every casebook page.
The job acts as the data manager who asked for the archive, so the files hold exactly what that
account may see of the site. Progress (one step per casebook, dataset and file) is written
beside the snapshot, on a connection of its own, for the page that polls it; the outcome is an
audited save of the archive (by the system account), so the trail shows what was built.
"""

import hashlib
import logging
import zipfile

from django.db import transaction
from django.utils import timezone

from trialsite import files
from trialsite.archives.casebook_pdf import casebook_pdf
from trialsite.audit import audited_save
from trialsite.exports.dictionary import HEADER, dictionary_rows
from trialsite.exports.models import SiteArchive, SiteArchiveProgress
from trialsite.exports.odm import odm_chunks
from trialsite.exports.registry import Filters, all_datasets, csv_stream
from trialsite.exports.snapshot import run_outside, snapshot
from trialsite.exports.streaming import csv_chunks
from trialsite.monitoring import registry

logger = logging.getLogger(__name__)


def archive_name(archive):
    """The archive's name in the file store (``trialsite.files``)."""
    return f"site-archives/{archive.file_name}"


def _write(archive_zip, name, chunks):
    digest, size = hashlib.sha256(), 0
    with archive_zip.open(name, "w", force_zip64=True) as out:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {"name": name, "sha256": digest.hexdigest(), "size": size}


def _manifest_text(archive, data_cut, files):
    site = archive.site
    lines = [
        "trialsite site archive",
        "======================",
        "",
        f"Study: {site.study.code} ({site.study.registry_id}) — {site.study.title}",
        f"Site: {site.code} — {site.name}, {site.city}, {site.country}",
        f"Archive: {archive.pk} ({archive.get_occasion_display()}), requested by "
        f"{archive.requested_by.username}",
        f"Data cut (UTC): {data_cut.isoformat()}",
        "",
        "casebooks/  one PDF per patient: every form of every visit, samples and custody,",
        "            tumour assessments and responses, queries, SDV, signatures, audit trails",
        "odm.xml     the site's data as CDISC ODM 1.3.2 with its audit records",
        "datasets/   the site's datasets as CSV; dictionary.csv describes their variables",
        "",
        "SHA-256 checksums (verify with: sha256sum -c, after saving these lines to a file):",
        "",
        *(f"{f['sha256']}  {f['name']}" for f in files),
        "",
    ]
    return "\n".join(lines).encode()


def _patients(site):
    """Every patient registered at the site, voided ones included (their records are kept)."""
    model = registry.patient_model()
    return list(model._base_manager.filter(site=site).select_related("site__study")
                .order_by(registry.label_field("patient"), "pk"))


def _save_outcome(archive, **fields):
    from trialsite.services import system_user

    reason = fields.pop("reason")

    def save():
        with transaction.atomic():
            current = SiteArchive.objects.select_for_update().get(pk=archive.pk)
            for name, value in fields.items():
                setattr(current, name, value)
            audited_save(current, actor=system_user(), reason=reason, changed=set(fields))
    return save


def _set_progress(archive, **fields):
    SiteArchiveProgress.objects.update_or_create(archive_id=archive.pk, defaults=fields)


def build_site_archive(archive):
    """Write the archive's zip and record its outcome (ready with checksums, or failed)."""
    with snapshot() as taken_at:
        if taken_at is None:
            _build(archive, timezone.now(), lambda function: function())
        else:
            _build(archive, taken_at, run_outside)


def _build(archive, data_cut, outside):
    site, user = archive.site, archive.requested_by
    patients = _patients(site)
    datasets = all_datasets()
    archive.file_name = (f"trialsite-site-{site.study.code}-{site.code}-"
                         f"{data_cut:%Y%m%dT%H%M%SZ}-{archive.pk}.zip")
    total = len(patients) + len(datasets) + 3
    outside(_save_outcome(archive, status=SiteArchive.Status.RUNNING, data_cut=data_cut,
                          file_name=archive.file_name, reason="Site archive: building"))
    outside(lambda: _set_progress(archive, steps_done=0, steps_total=total, current_step=""))
    written, done = [], 0

    def step(label):
        nonlocal done
        outside(lambda: _set_progress(archive, steps_done=done, current_step=label))
        done += 1

    try:
        with files.scratch_file(".zip") as partial:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED,
                                 compresslevel=1) as out:
                for patient in patients:
                    step(f"casebook {patient.subject_id}")
                    built = casebook_pdf(patient, user=user, data_cut=data_cut)
                    written.append(_write(out, f"casebooks/{built.file_name}", [built.content]))
                step("odm.xml")
                written.append(_write(out, "odm.xml", odm_chunks(
                    user, data_cut=data_cut, audit=True, filters=Filters(site=site.code))))
                for dataset in datasets:
                    step(f"{dataset.name}.csv")
                    written.append(_write(out, f"datasets/{dataset.name}.csv",
                                          csv_stream(dataset, user, Filters(site=site.code))))
                step("dictionary.csv")
                written.append(_write(out, "datasets/dictionary.csv",
                                      csv_chunks(HEADER, dictionary_rows())))
                step("MANIFEST.txt")
                out.writestr("MANIFEST.txt", _manifest_text(archive, data_cut, written))
            stored = files.store(partial, archive_name(archive))
        outside(lambda: _set_progress(archive, steps_done=total, current_step=""))
        outside(_save_outcome(
            archive, status=SiteArchive.Status.READY, finished_at=timezone.now(),
            file_name=stored.name.rpartition("/")[2], size_bytes=stored.size,
            sha256=stored.sha256, manifest=written, casebooks=len(patients),
            reason=f"Site archive built: {len(patients)} casebooks, {len(written)} files, "
                   f"SHA-256 {stored.sha256}"))
    except Exception as exc:
        logger.exception("site archive %s failed", archive.pk)
        outside(_save_outcome(archive, status=SiteArchive.Status.FAILED,
                              finished_at=timezone.now(), error=str(exc)[:2000],
                              reason="Site archive failed"))
