"""The data managers' import page: upload, the job with its progress, problems, and access."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.rwd_dataset import generate
from enrollment.models import Patient
from outcomes.models import ImportFile, ImportJob
from outcomes.realworld.importer import FILES, import_real_world
from outcomes.tasks import _progress_writer, run_real_world_import
from tests.factories import SiteFactory, UserFactory, grant, site_coordinator
from trialsite.audit import audited_save
from trialsite.models import Role
from trialsite.protocols.palmares2 import PROTOCOL

CUT_OFF = date.today() - timedelta(days=30)


@pytest.fixture
def palmares(world):
    for site in PROTOCOL.sites[:4]:
        SiteFactory(study=world.study_b, code=site.code, time_zone=site.time_zone)
    manager = grant(UserFactory(username="dm-palmares"), Role.DATA_MANAGER,
                    study=world.study_b)
    return world.study_b, manager


@pytest.fixture
def dataset(tmp_path):
    generate(tmp_path, patients=4, seed=11, cut_off=CUT_OFF)
    return {name: (tmp_path / name).read_bytes() for name in FILES}


def new_job(study, user, *, files=None, **fields):
    job = audited_save(ImportJob(study=study, requested_by=user, **fields), actor=user)
    for name, content in (files or {}).items():
        audited_save(ImportFile(job=job, name=name, content=content, sha256="x"), actor=user)
    return job


def upload(client, study, files, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("rwd-import", args=[study.code]),
                           {name: SimpleUploadedFile(name, content, "text/csv")
                            for name, content in files.items()})


def test_upload_runs_the_job_and_the_page_shows_the_import(
        client, palmares, dataset, django_capture_on_commit_callbacks):
    study, manager = palmares
    client.force_login(manager)
    response = upload(client, study, dataset, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("rwd-import-job", args=[study.code, job.pk])
    assert job.status == "done" and job.percent == 100
    assert job.summary["created"]["patient"] == 4
    assert {f.name for f in job.files.all()} == set(FILES)
    steps = list(job.history.order_by("history_date", "history_id"))
    assert steps[0].history_user == manager and steps[-1].history_change_reason == "Imported"
    assert "Import started" in {h.history_change_reason for h in steps}
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-summary"' in page and "4 patient" in page
    status = client.get(reverse("rwd-import-status", args=[study.code, job.pk])).json()
    assert status == {"id": job.pk, "status": "done", "status_label": "Imported",
                      "percent": 100, "stage": "done", "finished": True, "problems": 0}
    history = Patient.objects.filter(site__study=study).exclude(
        subject_id__startswith="BONE").first().history.get()
    assert history.history_user == manager


def test_refused_upload_lists_every_problem_and_saves_nothing(
        client, palmares, dataset, django_capture_on_commit_callbacks):
    study, manager = palmares
    client.force_login(manager)
    bad = dataset["subjects.csv"].replace(b",F,", b",X,", 1)
    upload(client, study, {**dataset, "subjects.csv": bad}, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == "refused"
    assert {"file": "subjects.csv", "row": 2, "column": "sex"} in [
        {k: p[k] for k in ("file", "row", "column")} for p in job.problems]
    assert not Patient.objects.filter(site__code__startswith="IT").exists()
    page = client.get(reverse("rwd-import-job", args=[study.code, job.pk])).content.decode()
    assert 'id="import-problems"' in page and "nothing was imported" in page


def test_required_files_are_asked_for_by_the_form(client, palmares):
    study, manager = palmares
    client.force_login(manager)
    response = client.post(reverse("rwd-import", args=[study.code]), {})
    assert response.status_code == 200 and not ImportJob.objects.exists()
    assert "This field is required" in response.content.decode()


def test_progress_is_reported_while_the_import_runs(palmares, dataset):
    """The import reports its stages in order, from checking to done."""
    study, manager = palmares
    seen = []
    import_real_world(actor=manager, study=study, files=dataset,
                      progress=lambda fraction, stage: seen.append((fraction, stage)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) >= 6
    assert [s for _, s in seen][:2] == ["checking", "saving"]


@pytest.mark.django_db(transaction=True)
def test_job_progress_is_written_where_the_status_page_reads_it(palmares):
    """On PostgreSQL through a second connection, so the page sees it before the commit."""
    study, manager = palmares
    job = new_job(study, manager)
    write, close = _progress_writer(job.pk)
    write(0.42, "visits")
    close()
    job.refresh_from_db()
    assert (job.percent, job.stage) == (42, "visits")
    step = job.history.order_by("-history_date", "-history_id").first()
    assert step.history_change_reason == "Import progress: visits" and step.percent == 42


def test_job_runs_once(palmares, dataset):
    study, manager = palmares
    job = new_job(study, manager, files=dataset)
    run_real_world_import(job.pk)
    before = Patient.objects.count()
    assert run_real_world_import(job.pk) is None  # a redelivered message does nothing
    assert Patient.objects.count() == before


@pytest.mark.parametrize("who", ["coordinator", "monitor", "sponsor", "other_manager"])
def test_only_the_studys_data_managers_reach_the_page(client, palmares, world, who):
    study, manager = palmares
    job = new_job(study, manager)
    site = study.sites.get(code=PROTOCOL.sites[0].code)
    user = {
        "coordinator": lambda: site_coordinator(site),
        "monitor": lambda: grant(UserFactory(), Role.MONITOR, site=site),
        "sponsor": lambda: grant(UserFactory(), Role.SPONSOR, study=study),
        "other_manager": lambda: world.users[Role.DATA_MANAGER],
    }[who]()
    client.force_login(user)
    for url in (reverse("rwd-import", args=[study.code]),
                reverse("rwd-import-job", args=[study.code, job.pk]),
                reverse("rwd-import-status", args=[study.code, job.pk])):
        assert client.get(url).status_code in (403, 404), (who, url)
    assert client.post(reverse("rwd-import", args=[study.code]), {}).status_code in (403, 404)
    assert ImportJob.objects.count() == 1


def test_study_overview_links_the_import_for_data_managers_only(client, palmares):
    study, manager = palmares
    client.force_login(manager)
    url = reverse("rwd-import", args=[study.code])
    assert url in client.get(reverse("study-overview", args=[study.code])).content.decode()
    client.force_login(grant(UserFactory(), Role.SPONSOR, study=study))
    assert url not in client.get(reverse("study-overview", args=[study.code])).content.decode()


def test_import_pages_are_constant_query(client, palmares):
    """The same number of queries with 1 job (1 problem) and with 25 jobs (25 problems)."""
    study, manager = palmares
    client.force_login(manager)

    def add_jobs(count, problems):
        for _ in range(count):
            job = new_job(study, manager, files={"subjects.csv": b"x"}, status="refused",
                          problems=[{"file": "subjects.csv", "row": 2, "column": "sex",
                                     "message": "bad"}] * problems)
        return job

    def queries(job):
        counts = []
        for url in (reverse("rwd-import", args=[study.code]),
                    reverse("rwd-import-job", args=[study.code, job.pk]),
                    reverse("rwd-import-status", args=[study.code, job.pk])):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured))
        return counts

    one = queries(add_jobs(1, 1))
    assert queries(add_jobs(24, 25)) == one
