"""One analysis run: load the data cut's spectra and responses, compute every question of the
protocol with the pure pipeline and classifier, and record the numbers with their provenance.

Load -> compute -> persist. The spectra are read once per technique (values, checksums); the
responses come from ``trialsite.responses`` (filled by ``outcomes``). BLAS runs on one thread:
faster on a small shared machine, and the numbers do not depend on thread scheduling.
"""

import dataclasses
from collections import defaultdict
from importlib.metadata import version

import numpy as np
from django.conf import settings
from django.utils import timezone
from threadpoolctl import threadpool_limits

from biosamples.spectra.domain import classifier, pipeline
from biosamples.spectra.domain.qc import axis_values
from biosamples.spectra.models import AnalysisRun, Spectrum
from biosamples.spectra.services import digest, spectra_plan_of
from trialsite import responses as response_registry
from trialsite.audit import audited_save

LIBRARIES = ("numpy", "scipy", "scikit-learn", "pybaselines", "jcamp")


def library_versions():
    return {name: version(name) for name in LIBRARIES}


@dataclasses.dataclass
class TechniqueData:
    technique: object
    #: {(patient_id, visit_code): [resampled arrays]}
    replicates: dict
    #: [(spectrum id, checksum)] of every spectrum used
    used: list
    excluded: dict


def load_spectra(study, technique, data_cut):
    rows = (Spectrum.objects.active()
            .filter(site__study=study, technique=technique.code, created_at__lte=data_cut)
            .order_by("pk")
            .values_list("pk", "checksum_sha256", "values", "qc_passed", "axis_start",
                         "axis_step", "axis_size", "aliquot__sample__visit__code",
                         "aliquot__sample__visit__patient_id"))
    replicates, used = defaultdict(list), []
    excluded = {"failed_qc": 0, "other_axis": 0}
    axis = technique.axis
    for pk, checksum, values, passed, start, step, size, visit, patient in rows.iterator():
        if (start, step, size) != (axis.start, axis.step, axis.size):
            excluded["other_axis"] += 1
            continue
        if not passed and technique.preprocessing.exclude_failed_qc:
            excluded["failed_qc"] += 1
            continue
        replicates[(patient, visit)].append(np.frombuffer(bytes(values), dtype="<f8"))
        used.append([pk, checksum])
    return TechniqueData(technique, dict(replicates), used, excluded)


def fingerprints(data, grid):
    """{patient_id: {visit: preprocessed fingerprint}} and the spectra that could not be."""
    out, problems = defaultdict(dict), 0
    prep, step = data.technique.preprocessing, data.technique.axis.step
    for (patient, visit), arrays in sorted(data.replicates.items()):
        try:
            out[patient][visit] = pipeline.preprocess_replicates(grid, arrays, prep, step)[1]
        except pipeline.PipelineError:
            problems += 1
    return dict(out), problems


def _question(rows, plan, run, *, strata_of=None, permutations, progress=None):
    """Rows [(patient_id, subject_id, label, vector, stratum)] -> the classifier's figures."""
    if not rows:
        return {"error": "no patient has both a fingerprint and this outcome"}
    features = np.array([r[3] for r in rows])
    labels = np.array([r[2] for r in rows], dtype=int)
    groups = np.array([r[1] for r in rows])
    strata = [r[4] for r in rows] if run.age_stratified else None
    try:
        return classifier.analyse(features, labels, groups, plan.classifier, seed=run.seed,
                                  strata=strata, permutations=permutations, progress=progress,
                                  jobs=settings.SPECTRA_ANALYSIS_JOBS)
    except classifier.AnalysisError as exc:
        return {"error": str(exc), "n": len(set(groups.tolist())),
                "positives": int(len(set(groups[labels == 1].tolist())))}


def compute(study, run, *, progress=lambda fraction, text: None):
    """Every question of the protocol for every technique, and the inputs they used."""
    plan = spectra_plan_of(study)
    patients = response_registry.responses_for(study)
    age_groups = plan.classifier.age_groups
    results, inputs = {"techniques": {}}, {"spectra": {}, "responses": []}
    for p in sorted(patients.values(), key=lambda r: r.subject_id):
        inputs["responses"].append([p.subject_id, p.best_overall_response, p.responder,
                                    p.early_progression, p.age_years])
    techniques = sorted(plan.techniques, key=lambda t: t.code != plan.primary_technique)
    share = 1.0 / len(techniques)
    for index, technique in enumerate(techniques):
        base = index * share
        progress(base, f"{technique.code}: preprocessing")
        data = load_spectra(study, technique, run.data_cut)
        inputs["spectra"][technique.code] = data.used
        prints, failed = fingerprints(data, axis_values(technique.axis))

        def stratum(patient_id):
            age = patients[patient_id].age_years
            return -1 if age is None else classifier.age_group_of(age, age_groups)

        def subject(patient_id):
            return patients[patient_id].subject_id

        known = [pid for pid in prints if pid in patients]
        q1_rows = [(pid, subject(pid), int(patients[pid].responder),
                    prints[pid][plan.baseline_visit], stratum(pid))
                   for pid in known if plan.baseline_visit in prints[pid]
                   and patients[pid].responder is not None]
        q2_rows = [(pid, subject(pid), int(patients[pid].early_progression), vector,
                    stratum(pid))
                   for pid in known if patients[pid].early_progression is not None
                   for visit, vector in sorted(prints[pid].items())
                   if visit in plan.early_visits]

        def on_permutation(done, total, base=base, code=technique.code):
            progress(base + share * (0.1 + 0.8 * done / total),
                     f"{code}: permutation {done} of {total}")

        progress(base + share * 0.05, f"{technique.code}: question 1 (baseline -> responder)")
        q1 = _question(q1_rows, plan, run, permutations=run.permutations,
                       progress=on_permutation)
        progress(base + share * 0.9, f"{technique.code}: question 2 (early progression)")
        q2 = _question(q2_rows, plan, run, permutations=0)
        distances = classifier.distances_from_baseline(prints, plan.baseline_visit)
        q3 = {"per_patient": [], "by_group": {}}
        by_group = defaultdict(lambda: defaultdict(list))
        for pid, visits in sorted(distances.items(), key=lambda kv: subject(kv[0])
                                  if kv[0] in patients else str(kv[0])):
            if pid not in patients:
                continue
            group = {True: "responder", False: "non-responder", None: "not evaluable"}[
                patients[pid].responder]
            q3["per_patient"].append({"subject_id": subject(pid), "group": group,
                                      "distances": dict(sorted(visits.items()))})
            for visit, value in visits.items():
                by_group[group][visit].append(value)
        q3["by_group"] = {group: {visit: {"n": len(v), "mean": round(float(np.mean(v)), 9)}
                                  for visit, v in sorted(per_visit.items())}
                          for group, per_visit in sorted(by_group.items())}
        results["techniques"][technique.code] = {
            "label": technique.label, "spectra_used": len(data.used),
            "excluded": {**data.excluded, "not_preprocessed": failed},
            "fingerprints": sum(len(v) for v in prints.values()),
            "question_1": q1, "question_2": q2, "question_3": q3,
        }
    return results, inputs


def parameters_of(study, run):
    plan = spectra_plan_of(study)
    return {"plan": dataclasses.asdict(plan), "seed": run.seed,
            "age_stratified": run.age_stratified, "permutations": run.permutations}


def execute(run, *, actor):
    """Run the analysis of ``run`` (queued) to its end, recording progress and the record."""
    study = run.study
    run.status = AnalysisRun.Status.RUNNING
    run.started_at = timezone.now()
    run.parameters = parameters_of(study, run)
    run.versions = library_versions()
    audited_save(run, actor=actor, reason="Analysis started")
    last = [0]

    def progress(fraction, text):
        percent = int(fraction * 100)
        if percent >= last[0] + 5:
            last[0] = percent
            run.progress, run.progress_text = percent, text[:200]
            audited_save(run, actor=actor, reason="Analysis progress",
                         changed=["progress", "progress_text"])

    try:
        with threadpool_limits(1):
            results, inputs = compute(study, run, progress=progress)
    except Exception as exc:
        run.status, run.error, run.finished_at = AnalysisRun.Status.FAILED, str(exc)[:2000], \
            timezone.now()
        audited_save(run, actor=actor, reason="Analysis failed")
        raise
    run.inputs = inputs
    run.inputs_sha256 = digest({"inputs": inputs, "parameters": run.parameters})
    run.results = results
    run.results_sha256 = digest(results)
    run.status, run.progress, run.progress_text = AnalysisRun.Status.DONE, 100, "done"
    run.finished_at = timezone.now()
    audited_save(run, actor=actor, reason="Analysis finished")
    return run
