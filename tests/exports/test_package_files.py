"""Data packages in the shared file store (Django's storage API): a folder or an S3-compatible
object store; never a half-written file in the store or in the worker's scratch space; expiry."""

import hashlib
import os
import tempfile
import time
from datetime import timedelta

import boto3
import pytest
from django.core.files.storage import storages
from django.utils import timezone

from trialsite import files
from trialsite.exports import packages
from trialsite.exports.models import DataPackage
from trialsite.exports.tasks import build_data_package, purge_expired_data_packages
from trialsite.models import Role


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """The worker's scratch space, watched: it must be empty after every build."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _download(api, package):
    response = api.get(f"/api/v1/exports/packages/{package.pk}/download/")
    return response, (b"".join(response.streaming_content) if response.status_code == 200
                      else b"")


def test_a_built_package_is_in_the_store_with_its_checksum_and_expires(trial, api_for,
                                                                       scratch):
    package = DataPackage.objects.create(requested_by=trial.users[Role.SPONSOR])
    build_data_package(package.pk)
    package.refresh_from_db()
    assert package.status == DataPackage.Status.READY, package.error
    name = packages.package_name(package)
    assert storages["default"].exists(name)
    assert storages["default"].size(name) == package.size_bytes
    assert list(scratch.iterdir()) == []
    # Kept for the retention period from when it was built.
    assert package.expires_at - package.finished_at == timedelta(days=30)

    api = api_for(Role.SPONSOR)
    response, content = _download(api, package)
    assert response.status_code == 200
    assert hashlib.sha256(content).hexdigest() == package.sha256
    assert int(response["Content-Length"]) == package.size_bytes

    # The daily job: nothing expired yet, then past the expiry the file leaves the store.
    assert purge_expired_data_packages()["packages"] == 0
    DataPackage.objects.filter(pk=package.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    assert purge_expired_data_packages()["packages"] == 1
    package.refresh_from_db()
    assert package.status == DataPackage.Status.EXPIRED
    assert not storages["default"].exists(name)
    assert _download(api, package)[0].status_code == 404


def test_a_failed_build_leaves_nothing_behind(trial, scratch, monkeypatch):
    write = packages._write

    def fail_on_the_odm_file(archive, name, chunks):
        if name == "odm.xml":
            raise OSError("disk full")
        return write(archive, name, chunks)

    monkeypatch.setattr(packages, "_write", fail_on_the_odm_file)
    package = DataPackage.objects.create(requested_by=trial.users[Role.SPONSOR])
    build_data_package(package.pk)
    package.refresh_from_db()
    assert (package.status, package.error) == (DataPackage.Status.FAILED, "disk full")
    assert list(scratch.iterdir()) == []
    assert not storages["default"].exists("packages")


def test_scratch_files_of_a_killed_build_are_swept(scratch):
    old = scratch / f"{files.SCRATCH_PREFIX}killed.zip"
    old.write_bytes(b"half a zip")
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    running = scratch / f"{files.SCRATCH_PREFIX}running.zip"
    running.write_bytes(b"being written")
    assert files.sweep_scratch() == 1
    assert not old.exists() and running.exists()


@pytest.fixture
def s3_store(settings, monkeypatch):
    """django-storages' S3 backend on moto's standalone server: the S3 protocol over HTTP."""
    from moto.server import ThreadedMotoServer

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    port = 18190 + int(worker or 0) % 8
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
        Bucket="trialsite-files")
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "trialsite-files", "endpoint_url": endpoint,
                    "region_name": "us-east-1", "default_acl": None, "file_overwrite": False}}}
    try:
        yield boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    finally:
        server.stop()


def test_a_package_on_an_s3_object_store(trial, api_for, s3_store, scratch):
    package = DataPackage.objects.create(requested_by=trial.users[Role.SPONSOR])
    build_data_package(package.pk)
    package.refresh_from_db()
    assert package.status == DataPackage.Status.READY, package.error
    listed = s3_store.list_objects_v2(Bucket="trialsite-files")["Contents"]
    assert [(o["Key"], o["Size"]) for o in listed] == [
        (packages.package_name(package), package.size_bytes)]
    assert list(scratch.iterdir()) == []
    response, content = _download(api_for(Role.SPONSOR), package)
    assert response.status_code == 200
    assert hashlib.sha256(content).hexdigest() == package.sha256
