"""The demo trial's spectra: through the laboratories' real path, with something to find."""

from io import StringIO

from django.core.management import call_command

from biosamples.spectra import services
from biosamples.spectra.models import AnalysisRun, Spectrum
from trialsite.models import Study, User


def test_demo_spectra_reach_the_analysis(db, settings, tmp_path,
                                         django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=StringIO())
    qo = Spectrum.objects.filter(technique="QO")
    assert qo.count() >= 30 and Spectrum.objects.filter(technique="RAMAN").exists()
    assert set(qo.values_list("replicate", flat=True)) == {1, 2, 3}
    assert qo.filter(aliquot__status="consumed").count() == qo.count()
    count = Spectrum.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert Spectrum.objects.count() == count
    study = Study.objects.get(code="ICRG0201")
    with django_capture_on_commit_callbacks(execute=True):
        run = services.analysis_request(actor=User.objects.get(username="statistician"),
                                        study=study, permutations=2)
    run = AnalysisRun.objects.get(pk=run.pk)
    assert run.status == "done", run.error
    assert run.results["techniques"]["QO"]["spectra_used"] > 0
