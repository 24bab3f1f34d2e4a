"""Spectra: a laboratory's batch upload, and the protocol's full fingerprint analysis.

Run: .venv/bin/python bench/spectra.py [--spectra 500 --patients 80 --smoke]
(PostgreSQL from DATABASE_URL; a throw-away test database is created and dropped.)

upload:   one zip of ``--spectra`` JCAMP-DX files (3 replicates per aliquot, each measured at
          1 cm-1 from 940 to 3060 cm-1, 2,121 points) through ``spectra_upload``: the manifest
          and every file checked, stored as received, resampled on the QO axis, QC, history
          rows and custody steps. Budget: < 30 s for 500 spectra.
analysis: ``--patients`` patients x 12 time points x 3 replicates of synthetic plasma spectra
          (responders with the planted band change): preprocessing of every spectrum, then
          question 1 (baseline -> responder, nested CV with the protocol's permutations) and
          question 2 (BL-M3 -> early progression, nested CV). Budget: < 2 min on 2 cores.
The seed of the upload (visits, samples, received aliquots) is written with bulk ORM inserts
(bench only) and not timed.
"""

import argparse
import io
import time
import zipfile
from datetime import UTC, date, datetime, timedelta

import numpy as np
from _django import bench_database, one_patient, parse_args

REPLICATES = 3
VISITS = ("BL", "M1", "M2", "M3", "M6", "M9", "M12", "M15", "M18", "M21", "M24", "M27")


def seed_received(spectra):
    """Aliquots received by the QO laboratory, enough for ``spectra`` replicates."""
    from biosamples.models import Aliquot, Sample, Shipment, ShipmentItem
    from trialsite.audit import bulk_create_audited
    from trialsite.models import Role
    from trialsite.services import membership_grant
    from visits.models import Visit

    system, study, site, patient = one_patient()
    membership_grant(actor=system, user=system, study=study, role=Role.CENTRAL_LAB,
                     laboratory="QOLAB")
    system.__dict__.pop("_trialsite_memberships", None)
    count = -(-spectra // REPLICATES)
    day = date(2026, 1, 5)
    visits = bulk_create_audited(Visit, [Visit(
        patient=patient, code=f"B{i}", label=f"Bench {i}", kind="unscheduled",
        target_date=day, window_start=day, window_end=day, status="completed",
        samples=["liquid_biopsy"], actual_date=day) for i in range(count)], actor=system)
    drawn = datetime(2026, 1, 5, 9, tzinfo=UTC)
    samples = bulk_create_audited(Sample, [Sample(
        site=site, visit=v, sample_code="liquid_biopsy", status="processed", drawn_at=drawn)
        for v in visits], actor=system)
    aliquots = bulk_create_audited(Aliquot, [Aliquot(
        site=site, sample=s, label=f"BENCH-{i:05d}-LB-01", number=1, volume_ml=0.5,
        status="received") for i, s in enumerate(samples)], actor=system)
    shipment = bulk_create_audited(Shipment, [Shipment(
        site=site, reference="BENCH-SH1", destination_lab="QOLAB", status="received",
        shipped_at=drawn, received_at=drawn + timedelta(days=1))], actor=system)[0]
    bulk_create_audited(ShipmentItem, [ShipmentItem(shipment=shipment, aliquot=a,
                                                    receipt="received") for a in aliquots],
                        actor=system)
    return system, study, aliquots


def batch_zip(aliquots, spectra):
    from biosamples.spectra.domain import synthetic
    from biosamples.spectra.domain.readers import jcamp_text

    grid = np.arange(940.0, 3061.0, 1.0)
    rng = np.random.default_rng(1)
    rows, buffer = [], io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(spectra):
            aliquot, replicate = aliquots[n // REPLICATES], n % REPLICATES + 1
            name = f"{aliquot.label}_{replicate}.jdx"
            y = synthetic.spectrum(grid, technique="QO", responder=n % 2 == 0, rng=rng)
            archive.writestr(name, jcamp_text(grid, y, title=name, y_units="ABSORBANCE"))
            rows.append(f"{name},{aliquot.label},QO,FTIR-QO-1,2026-01-06T10:00:00+00:00,"
                        f"{replicate}")
        archive.writestr("manifest.csv", "file,aliquot_label,technique,instrument,"
                                         "acquired_at,replicate\n" + "\n".join(rows) + "\n")
    return buffer.getvalue()


def bench_upload(spectra):
    from biosamples.spectra import services

    system, study, aliquots = seed_received(spectra)
    data = batch_zip(aliquots, spectra)
    start = time.perf_counter()
    batch = services.spectra_upload(actor=system, study=study, data=data, file_name="b.zip")
    seconds = time.perf_counter() - start
    print(f"upload: {batch.spectrum_count} spectra ({len(data) / 1e6:.1f} MB zip, "
          f"{batch.flagged_count} flagged) in {seconds:.2f} s "
          f"({batch.spectrum_count / seconds:.0f} spectra/s); budget 30 s for 500")
    return seconds


def bench_analysis(patients, permutations, jobs):
    from threadpoolctl import threadpool_limits

    from biosamples.spectra.domain import classifier, pipeline, qc, synthetic
    from trialsite.protocols.icrg0201_spectra import QO, SPECTRA_PLAN

    grid = qc.axis_values(QO.axis)
    rng = np.random.default_rng(7)
    plan = SPECTRA_PLAN
    with threadpool_limits(1):
        cpu = time.process_time()
        start = time.perf_counter()
        prints, responder, early = {}, {}, {}
        for p in range(patients):
            responder[p] = p % 2 == 0
            early[p] = p % 4 == 1
            profile = synthetic.subject_profile("QO", rng)
            for visit in VISITS:
                reps = [synthetic.spectrum(grid, technique="QO", responder=responder[p],
                                           rng=rng, subject_shift=profile, effect=1.0)
                        for _ in range(REPLICATES)]
                prints[(p, visit)] = pipeline.preprocess_replicates(
                    grid, reps, QO.preprocessing, QO.axis.step)[1]
        prep = time.perf_counter() - start
        start = time.perf_counter()
        q1 = classifier.analyse(np.array([prints[(p, "BL")] for p in range(patients)]),
                                [int(responder[p]) for p in range(patients)],
                                [f"P{p}" for p in range(patients)], plan.classifier,
                                seed=plan.classifier.seed, permutations=permutations,
                                jobs=jobs)
        q1_seconds = time.perf_counter() - start
        start = time.perf_counter()
        rows = [(p, v) for p in range(patients) for v in plan.early_visits]
        q2 = classifier.analyse(np.array([prints[r] for r in rows]),
                                [int(early[p]) for p, _ in rows], [f"P{p}" for p, _ in rows],
                                plan.classifier, seed=plan.classifier.seed, permutations=0)
        q2_seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    total = prep + q1_seconds + q2_seconds
    print(f"analysis ({jobs} process(es) for the permutations): "
          f"{patients * len(VISITS) * REPLICATES} spectra preprocessed in {prep:.1f} s;"
          f" Q1 nested CV + {q1['permutations']} permutations in {q1_seconds:.1f} s "
          f"(AUC {q1['auc']:.3f}, permutation p {q1['permutation_p_value']:.3f}); Q2 nested CV"
          f" over {len(rows)} rows in {q2_seconds:.1f} s (AUC {q2['auc']:.3f}); total "
          f"{total:.1f} s wall, {cpu:.1f} s CPU of this process (the wall time includes waiting "
          f"for a CPU on a shared machine); budget 120 s")
    return total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spectra", type=int, default=500)
    parser.add_argument("--patients", type=int, default=80)
    parser.add_argument("--permutations", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=1, help="processes for the permutations")
    args = parse_args(parser, spectra=30, patients=20, permutations=2)
    from trialsite.protocols.icrg0201_spectra import SPECTRA_PLAN

    permutations = (SPECTRA_PLAN.classifier.permutations if args.permutations is None
                    else args.permutations)
    with bench_database():
        bench_upload(args.spectra)
    bench_analysis(args.patients, permutations, args.jobs)


if __name__ == "__main__":
    main()
