"""The pages: a laboratory uploads and reviews its batches; the statistician runs the analysis
and reads the report (page and PDF); the spectra exports."""


from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from biosamples.spectra.models import AnalysisRun
from tests.biosamples.spectra.conftest import make_zip, qo_batch, spectrum_file
from tests.biosamples.spectra.test_analysis import cohort, run_now  # noqa: F401 (fixture)
from trialsite.exports.registry import Filters, get_dataset, iter_rows
from trialsite.models import Role


def post_zip(client, world, data):
    url = reverse("spectra-upload", args=[world.study_a.code])
    return client.post(url, {"file": SimpleUploadedFile("batch.zip", data)})


def test_the_laboratory_uploads_a_batch_and_sees_its_qc(client, world, at_labs, lab,
                                                        django_assert_max_num_queries):
    client.force_login(lab)
    response = post_zip(client, world, qo_batch(at_labs[:2]))
    assert response.status_code == 302
    with django_assert_max_num_queries(12):
        page = client.get(response.url)
    body = page.content.decode()
    assert at_labs[0].label in body and "pass" in body
    # The laboratory sees labels only: no clinical data on its pages.
    assert "birth" not in body.lower()
    listing = client.get(reverse("spectra-upload", args=[world.study_a.code])).content.decode()
    assert "batch.zip" in listing


def test_a_refused_batch_lists_every_problem_and_keeps_nothing(client, world, at_labs, lab):
    client.force_login(lab)
    data = make_zip([("a.jdx", "NOPE", "QO", "FTIR", "2026-01-05T10:00:00+00:00", 1)],
                    {"a.jdx": spectrum_file("QO")})
    body = post_zip(client, world, data).content.decode()
    assert "NOPE is not an aliquot received by your laboratory" in body
    assert "nothing was imported" in body


def test_other_roles_do_not_reach_the_upload_page(client, world):
    for role in (Role.COORDINATOR, Role.SPONSOR, Role.STATISTICIAN):
        client.force_login(world.users[role])
        url = reverse("spectra-upload", args=[world.study_a.code])
        assert client.get(url).status_code == 404, role


def test_the_statistician_runs_the_analysis_and_reads_the_report(
        client, world, cohort, django_capture_on_commit_callbacks):  # noqa: F811
    statistician = world.users[Role.STATISTICIAN]
    client.force_login(statistician)
    runs_url = reverse("fingerprint-runs", args=[world.study_a.code])
    assert client.get(runs_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(runs_url, {"age_stratified": ""})
    run = AnalysisRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("fingerprint-run",
                                                                    args=[run.pk])
    assert run.status == "done", run.error
    body = client.get(response.url).content.decode()
    assert run.results_sha256 in body and "Baseline → responder" in body
    assert "<svg" in body and "Age groups" in body  # figures and the marked assumptions
    status = client.get(response.url, HTTP_ACCEPT="application/json").json()
    assert status == {"status": "done", "progress": 100, "progress_text": "done"}
    pdf = client.get(reverse("fingerprint-run-pdf", args=[run.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # Other roles of the study do not reach the analysis.
    for role in (Role.DATA_MANAGER, Role.CENTRAL_LAB, Role.COORDINATOR):
        client.force_login(world.users[role])
        assert client.get(reverse("fingerprint-run", args=[run.pk])).status_code == 404
        assert client.get(runs_url).status_code == 404


def test_spectra_exports_give_one_row_per_spectrum_and_the_long_format(world, at_labs, lab):
    from biosamples.spectra import services

    services.spectra_upload(actor=lab, study=world.study_a, file_name="b.zip",
                            data=qo_batch(at_labs[:1], replicates=2))
    statistician = world.users[Role.STATISTICIAN]
    spectra = list(iter_rows(get_dataset("spectra"), statistician, Filters()))
    assert len(spectra) == 2
    points = list(iter_rows(get_dataset("spectrum_points"), statistician, Filters()))
    assert len(points) == 2 * 1051
    first = dict(zip(get_dataset("spectrum_points").names, points[0], strict=True))
    assert first["wavenumber_cm1"] == 950.0 and first["aliquot_label"] == at_labs[0].label
    assert first["subject_id"] == at_labs[0].sample.visit.patient.subject_id
    # The laboratory never gets these datasets (they name subjects and visits).
    assert list(iter_rows(get_dataset("spectrum_points"), lab, Filters())) == []


def test_a_data_package_carries_each_spectrum_as_received(world, at_labs, lab, settings,
                                                          tmp_path):
    import io
    import zipfile

    from biosamples.spectra import services
    from trialsite import files
    from trialsite.exports.models import DataPackage
    from trialsite.exports.packages import build_package, package_name

    services.spectra_upload(actor=lab, study=world.study_a, file_name="b.zip",
                            data=qo_batch(at_labs[:1], replicates=1))
    statistician = world.users[Role.STATISTICIAN]
    package = DataPackage.objects.create(requested_by=statistician)
    build_package(package)
    package.refresh_from_db()
    assert package.status == "ready", package.error
    with zipfile.ZipFile(io.BytesIO(files.open_file(package_name(package)).read())) as archive:
        names = [n for n in archive.namelist() if n.startswith("spectra/")]
        assert len(names) == 1 and names[0].endswith(f"{at_labs[0].label}/QO_1_"
                                                     f"{at_labs[0].label}_1.jdx")
        assert archive.read(names[0]) == spectrum_file("QO", seed=1)
        assert names[0] in archive.read("README.txt").decode()
