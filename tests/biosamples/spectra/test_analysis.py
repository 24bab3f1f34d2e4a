"""An analysis run: the statistician's job, its record, its numbers and their repetition."""

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied

from biosamples.models import Aliquot, Sample
from biosamples.spectra import services
from biosamples.spectra.domain import qc, synthetic
from biosamples.spectra.models import AnalysisRun, SpectraBatch, Spectrum
from tests.factories import enrol, register_patient
from trialsite import responses
from trialsite.audit import audited_save, bulk_create_audited
from trialsite.models import Role
from trialsite.protocols.icrg0201_spectra import QO
from trialsite.services import system_user
from visits.models import Visit

PATIENTS = 20


@pytest.fixture
def statistician(world):
    return world.users[Role.STATISTICIAN]


def add_spectra(batch, visit, arrays, actor, technique="QO"):
    sample = audited_save(Sample(site=visit.patient.site, visit=visit,
                                 sample_code="liquid_biopsy", status="processed",
                                 drawn_at=batch.created_at), actor=actor)
    aliquot = audited_save(Aliquot(site=visit.patient.site, sample=sample, number=1,
                                   label=f"{visit.patient.subject_id}-{visit.code}-LB-01",
                                   volume_ml=0.5, status="consumed"), actor=actor)
    t = QO
    bulk_create_audited(Spectrum, [Spectrum(
        batch=batch, site=visit.patient.site, aliquot=aliquot, technique=technique,
        instrument="FTIR", acquired_at=batch.created_at, replicate=r + 1,
        file=f"spectra/x/{aliquot.label}_{r}.jdx", file_name=f"{aliquot.label}_{r}.jdx",
        source_format="jcamp", checksum_sha256=f"{aliquot.pk:032x}{r:032x}", raw_points=1051,
        raw_min_cm1=950.0, raw_max_cm1=3050.0, axis_start=t.axis.start, axis_step=t.axis.step,
        axis_size=t.axis.size, values=a.astype("<f8").tobytes(), qc={}, qc_flags=[],
        qc_passed=True) for r, a in enumerate(arrays)], actor=actor)


@pytest.fixture
def cohort(world, monkeypatch):
    """20 enrolled patients with baseline and M3 QO spectra: even numbers respond (with the
    planted band change), every fourth progresses early; responses come from the registry."""
    actor = system_user()
    batch = audited_save(SpectraBatch(study=world.study_a, lab_code="QOLAB", file_name="b.zip",
                                      checksum_sha256="0" * 64, spectrum_count=0), actor=actor)
    grid = qc.axis_values(QO.axis)
    rng = np.random.default_rng(3)
    patients, table = [], []
    for n in range(PATIENTS):
        patient = enrol(register_patient(world.site_a1))
        responder = n % 2 == 0
        profile = synthetic.subject_profile("QO", rng)
        for code in ("BL", "M3"):
            visit = Visit.objects.get(patient=patient, code=code)
            add_spectra(batch, visit, [synthetic.spectrum(
                grid, technique="QO", responder=responder, rng=rng, subject_shift=profile,
                effect=2.0) for _ in range(2)], actor)
        patients.append(patient)
        table.append(responses.PatientResponse(
            patient_id=patient.pk, subject_id=patient.subject_id, site_code="AONE",
            age_years=40 + n * 2, best_overall_response="PR" if responder else "PD",
            responder=responder, early_progression=n % 4 == 1))
    # The outcomes app computes responses from RECIST readings; here the cohort's are given.
    monkeypatch.setattr(responses, "_PROVIDER", [lambda study: table])
    return patients


def run_now(statistician, world, django_capture_on_commit_callbacks, **options):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.analysis_request(actor=statistician, study=world.study_a,
                                        permutations=3, **options)
    return AnalysisRun.objects.get(pk=run.pk)


def test_a_run_finds_the_planted_signal_and_records_its_provenance(
        world, cohort, statistician, django_capture_on_commit_callbacks):
    run = run_now(statistician, world, django_capture_on_commit_callbacks)
    assert run.status == "done" and run.progress == 100, run.error
    qo = run.results["techniques"]["QO"]
    q1 = qo["question_1"]
    assert q1["n"] == PATIENTS and q1["positives"] == PATIENTS // 2
    assert q1["auc"] > 0.8
    assert 0 <= q1["sensitivity_ci"][0] <= q1["sensitivity"] <= q1["sensitivity_ci"][1] <= 1
    assert q1["permutations"] == 3 and q1["sensitivity_p_value"] is not None
    assert qo["question_2"]["n"] == PATIENTS  # BL and M3 rows, patients whole
    assert {g for g in qo["question_3"]["by_group"]} == {"responder", "non-responder"}
    assert "RAMAN" in run.results["techniques"]  # side by side, even without spectra
    assert len(run.inputs["spectra"]["QO"]) == PATIENTS * 2 * 2
    assert run.inputs["responses"][0][0] == cohort[0].subject_id
    assert set(run.versions) == {"numpy", "scipy", "scikit-learn", "pybaselines", "jcamp"}
    assert run.parameters["seed"] == run.seed == 20221220
    assert run.parameters["plan"]["classifier"]["degrees"] == [2, 3]
    assert run.history.earliest().history_user == statistician


def test_running_again_on_the_same_inputs_gives_identical_numbers(
        world, cohort, statistician, django_capture_on_commit_callbacks):
    first = run_now(statistician, world, django_capture_on_commit_callbacks)
    second = run_now(statistician, world, django_capture_on_commit_callbacks)
    assert first.inputs_sha256 == second.inputs_sha256
    assert first.results == second.results
    assert first.results_sha256 == second.results_sha256


def test_age_stratified_folds_are_recorded(world, cohort, statistician,
                                           django_capture_on_commit_callbacks):
    run = run_now(statistician, world, django_capture_on_commit_callbacks,
                  age_stratified=True)
    assert run.parameters["age_stratified"] is True and run.status == "done"


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.INVESTIGATOR, Role.MONITOR,
                                  Role.DATA_MANAGER, Role.SPONSOR, Role.CENTRAL_LAB])
def test_only_the_study_statistician_runs_the_analysis(world, role):
    with pytest.raises(PermissionDenied):
        services.analysis_request(actor=world.users[role], study=world.study_a)


def test_a_statistician_of_one_study_cannot_run_anothers(world, statistician):
    with pytest.raises(PermissionDenied):
        services.analysis_request(actor=statistician, study=world.study_b)


def test_a_statistician_is_granted_study_wide():
    from trialsite.models import STUDY_WIDE_ROLES

    assert Role.STATISTICIAN in STUDY_WIDE_ROLES
