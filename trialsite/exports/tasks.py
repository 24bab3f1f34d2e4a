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
