"""Site archives: the data manager builds one (a site, or every site at study close) by a job;
the zip holds every casebook PDF, the ODM file with audit records, the CSV datasets and a
manifest with checksums; the site's investigator and the data manager download it, nobody
else; building it is in the audit trail."""

import hashlib
import io
import re
import zipfile

from rest_framework.test import APIClient

from tests.exports.conftest import body
from tests.exports.test_casebook_pdf import correct_weight_and_sign, pdf_text
from tests.factories import UserFactory, api_key, grant
from trialsite.archives.tasks import build_site_archive_task
from trialsite.exports.models import SiteArchive
from trialsite.exports.registry import all_datasets
from trialsite.models import Role


def _client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user)}")
    return client


def _investigator(site, name):
    return grant(UserFactory(username=name), Role.INVESTIGATOR, site=site)


def _build(trial, django_capture_on_commit_callbacks, site_code="AONE"):
    api = _client(trial.users[Role.DATA_MANAGER])
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post("/api/v1/exports/archives/", {"site": site_code}, format="json")
    assert started.status_code == 202, started.content
    (archive,) = started.json()
    return api.get(f"/api/v1/exports/archives/{archive['id']}/").json()


def test_the_data_manager_builds_an_archive_the_investigator_downloads_it(
        trial, tmp_path, django_capture_on_commit_callbacks):
    correct_weight_and_sign(trial)
    status = _build(trial, django_capture_on_commit_callbacks)
    assert (status["status"], status["percent"], status["site"]) == ("ready", 100, "AONE")
    assert status["casebooks"] == 1
    download = _client(trial.users[Role.INVESTIGATOR]).get(status["download"])
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == status["sha256"] == download[
        "X-Checksum-SHA256"]
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = set(archive.namelist())
    subject = trial.patient_a1.subject_id
    assert {f"casebooks/casebook-{subject}.pdf", "odm.xml", "MANIFEST.txt",
            "datasets/dictionary.csv"} | {f"datasets/{d.name}.csv" for d in all_datasets()
                                          } == names
    # The manifest's checksums, in the zip and on the archive record.
    manifest = archive.read("MANIFEST.txt").decode()
    sums = dict(reversed(line.split("  ")) for line in manifest.splitlines()
                if re.match(r"^[0-9a-f]{64}  ", line))
    assert set(sums) == names - {"MANIFEST.txt"}
    for name, digest in sums.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
    recorded = {f["name"]: f["sha256"] for f in status["manifest"]}
    assert recorded == sums
    # Only this site's data: its subjects, not another site's.
    subjects = archive.read("datasets/subjects.csv").decode()
    assert subject in subjects and trial.patient_a2.subject_id not in subjects
    odm = archive.read("odm.xml").decode()
    assert "AuditRecord" in odm and trial.patient_a2.subject_id not in odm
    # The casebook: the value, its correction and the reason.
    text = re.sub(r"\s+", " ", pdf_text(archive.read(f"casebooks/casebook-{subject}.pdf"),
                                        tmp_path))
    assert "Weight (kg):" in text and "→ 58.4" in text
    assert "Scale read in pounds, converted" in text


def test_another_sites_investigator_and_other_roles_get_404(
        trial, django_capture_on_commit_callbacks):
    status = _build(trial, django_capture_on_commit_callbacks)
    other_investigator = _investigator(trial.site_a2, "investigator-a2")
    for user in (other_investigator, trial.users[Role.COORDINATOR], trial.users[Role.MONITOR],
                 trial.users[Role.SPONSOR]):
        client = _client(user)
        assert client.get(status["download"]).status_code == 404, user.username
        assert client.get(f"/api/v1/exports/archives/{status['id']}/").status_code == 404
        assert client.get("/api/v1/exports/archives/").json() == []
    listed = _client(trial.users[Role.INVESTIGATOR]).get("/api/v1/exports/archives/").json()
    assert [a["id"] for a in listed] == [status["id"]]


def test_only_the_data_manager_builds_archives(trial):
    for role in (Role.INVESTIGATOR, Role.COORDINATOR, Role.MONITOR, Role.SPONSOR):
        response = _client(trial.users[role]).post("/api/v1/exports/archives/",
                                                   {"site": "AONE"}, format="json")
        assert response.status_code in (403, 404), role
    assert not SiteArchive.objects.exists()


def test_study_close_builds_one_archive_per_site(trial, django_capture_on_commit_callbacks):
    api = _client(trial.users[Role.DATA_MANAGER])
    study = trial.site_a1.study
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/exports/archives/", {"study": study.code}, format="json")
    assert response.status_code == 202
    built = response.json()
    assert sorted(a["site"] for a in built) == sorted(
        s.code for s in study.sites.all())
    assert {a["occasion"] for a in built} == {"study_close"}
    assert all(api.get(f"/api/v1/exports/archives/{a['id']}/").json()["status"] == "ready"
               for a in built)


def test_building_an_archive_is_in_the_audit_trail(trial, client,
                                                   django_capture_on_commit_callbacks):
    status = _build(trial, django_capture_on_commit_callbacks)
    archive = SiteArchive.objects.get(pk=status["id"])
    history = list(archive.history.order_by("history_date", "history_id"))
    assert history[0].history_user == trial.users[Role.DATA_MANAGER]
    assert history[0].history_type == "+"
    assert history[-1].history_change_reason.startswith("Site archive built: 1 casebooks")
    assert status["sha256"] in history[-1].history_change_reason
    # On the study's trail page and in the audit_trail dataset.
    client.force_login(trial.users[Role.DATA_MANAGER])
    page = client.get(f"/monitoring/studies/{trial.site_a1.study.code}/trail/")
    assert page.status_code == 200
    assert "Site archive built" in page.content.decode()
    rows = body(_client(trial.users[Role.DATA_MANAGER]).get(
        "/api/v1/exports/audit_trail.csv"))
    assert "exports.sitearchive" in rows and "Site archive built" in rows


def test_the_job_run_twice_builds_once(trial, django_capture_on_commit_callbacks):
    status = _build(trial, django_capture_on_commit_callbacks)
    assert build_site_archive_task(status["id"]) is None
    archive = SiteArchive.objects.get(pk=status["id"])
    assert archive.sha256 == status["sha256"]


def test_the_site_archives_page_builds_and_lists(trial, client,
                                                 django_capture_on_commit_callbacks):
    client.force_login(trial.users[Role.DATA_MANAGER])
    page = client.get("/exports/archives/").content.decode()
    assert "Build the site&#x27;s archive" in page or "Build the site's archive" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/exports/archives/", {"site": "AONE"})
    assert response.status_code == 302
    page = client.get("/exports/archives/").content.decode()
    assert "Ready" in page and "Download" in page
    client.force_login(trial.users[Role.INVESTIGATOR])
    page = client.get("/exports/archives/").content.decode()
    assert "Download" in page and "archive-start" not in page
    assert client.post("/exports/archives/", {"site": "AONE"}).status_code == 404
