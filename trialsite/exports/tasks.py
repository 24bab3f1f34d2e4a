"""The data package job: loads the package by id and builds it; safe to run twice."""

from celery import shared_task

from trialsite import files
from trialsite.exports.models import DataPackage
from trialsite.exports.packages import build_package, purge_expired_packages


@shared_task(acks_late=True)
def build_data_package(package_id):
    package = DataPackage.objects.select_related("requested_by").filter(pk=package_id).first()
    if package is None or package.status == DataPackage.Status.READY:
        return None
    build_package(package)
    return package_id


@shared_task(acks_late=True)
def purge_expired_data_packages():
    """Daily: delete expired packages from the store, and scratch files of killed builds."""
    return {"packages": purge_expired_packages(), "scratch_files": files.sweep_scratch()}


@shared_task(acks_late=True)
def build_site_archive_task(archive_id):
    """Build a site archive by id; a ready one is left alone (safe to run twice)."""
    from trialsite.exports.models import SiteArchive
    from trialsite.exports.site_archive import build_site_archive

    archive = (SiteArchive.objects.select_related("site__study", "requested_by")
               .filter(pk=archive_id).first())
    if archive is None or archive.status == SiteArchive.Status.READY:
        return None
    build_site_archive(archive)
    return archive_id
