"""Data packages: the job writes every dataset, the dictionary, the ODM file and a README with
checksums; the API and the page show progress; only the requester downloads it."""

import hashlib
import io
import re
import zipfile

import pytest
from django.urls import reverse

from tests.exports.conftest import body
from trialsite.exports.models import DataPackage
from trialsite.exports.registry import all_datasets
from trialsite.exports.tasks import build_data_package
from trialsite.models import Role


def check_zip(content, api):
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = set(archive.namelist())
    expected = {f"{d.name}.csv" for d in all_datasets()} | {"dictionary.csv", "odm.xml",
                                                            "README.txt"} | {
        f"{fmt}/{d.name}.{fmt}" for d in all_datasets() for fmt in ("xpt", "sav", "dta")}
    assert names == expected
    readme = archive.read("README.txt").decode()
    assert re.search(r"Data cut \(UTC\): \d{4}-\d\d-\d\dT", readme)
    sums = dict(reversed(line.split("  ")) for line in readme.splitlines()
                if re.match(r"^[0-9a-f]{64}  ", line))
    assert set(sums) == expected - {"README.txt"}
    for name, digest in sums.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
    # The package's files are the same as the API's.
    assert archive.read("subjects.csv").decode() == body(api.get("/api/v1/exports/subjects.csv"))
    return archive


def test_package_job_end_to_end_through_the_api(trial, api_for,
                                                django_capture_on_commit_callbacks):
    api = api_for(Role.SPONSOR)
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post("/api/v1/exports/packages/")
    assert started.status_code == 202
    package_id = started.json()["id"]
    status = api.get(f"/api/v1/exports/packages/{package_id}/").json()
    assert (status["status"], status["percent"]) == ("ready", 100)
    assert status["steps_done"] == status["steps_total"] == 2 * len(all_datasets()) + 3
    download = api.get(status["download"])
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == status["sha256"]
    assert download["X-Data-Cut"]
    check_zip(content, api)
    listed = api.get("/api/v1/exports/packages/").json()
    assert [p["id"] for p in listed] == [package_id]


def test_another_users_package_answers_404(trial, api_for):
    package_id = api_for(Role.SPONSOR).post("/api/v1/exports/packages/").json()["id"]
    other = api_for(Role.DATA_MANAGER)
    assert other.get(f"/api/v1/exports/packages/{package_id}/").status_code == 404
    assert other.get(f"/api/v1/exports/packages/{package_id}/download/").status_code == 404
    assert other.get("/api/v1/exports/packages/").json() == []


def test_a_package_not_ready_has_no_download(trial, api_for):
    package = DataPackage.objects.create(requested_by=trial.users[Role.SPONSOR])
    api = api_for(Role.SPONSOR)
    assert api.get(f"/api/v1/exports/packages/{package.pk}/").json()["download"] is None
    assert api.get(f"/api/v1/exports/packages/{package.pk}/download/").status_code == 404


def test_the_job_run_twice_builds_once(trial):
    package = DataPackage.objects.create(requested_by=trial.users[Role.SPONSOR])
    build_data_package(package.pk)
    first = DataPackage.objects.get(pk=package.pk)
    assert build_data_package(package.pk) is None
    assert DataPackage.objects.get(pk=package.pk).sha256 == first.sha256


def test_exports_page_has_the_package_button_and_shipped_script(trial, client):
    client.force_login(trial.users[Role.SPONSOR])
    page = client.get(reverse("exports")).content.decode()
    assert 'id="package-start"' in page and "js/exports.js" in page
    assert "cdn" not in page.lower()
    for dataset in all_datasets():
        assert f"/api/v1/exports/{dataset.name}.csv" in page


@pytest.mark.services
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_package_built_by_a_real_worker(trial, api_for, real_worker):
    package = DataPackage.objects.create(requested_by=trial.users[Role.SPONSOR])
    result = build_data_package.apply_async(args=[package.pk], queue=real_worker.queue)
    assert result.get(timeout=120) == package.pk
    package.refresh_from_db()
    assert package.status == "ready"
    api = api_for(Role.SPONSOR)
    download = api.get(f"/api/v1/exports/packages/{package.pk}/download/")
    check_zip(b"".join(download.streaming_content), api)
