"""Exports at PALMARES-2 size, over HTTP from gunicorn, against COPY through the same server.

Run: .venv/bin/python bench/exports.py [--rounds 3] [--keep] [--reuse]
(PostgreSQL; the database is DATABASE_URL, default .../trialsite_bench_exp: dropped, migrated
and seeded unless --reuse; dropped at the end unless --keep.)

Seed (bulk SQL, history rows included): 24 sites, 3,500 patients, ~101,500 visits with vital
signs, haematology and chemistry (labs: ~1.1 M rows), 50,000 adverse events, 101,500 samples
with 406,000 aliquots, 30,000 tumour assessments with 150,000 lesion readings.

Measured, side by side in each round, through one gunicorn worker (bench/exports_wsgi.py):
  export  GET /api/v1/exports/<dataset>.csv with a sponsor's token (the product)
  copy    the same query as COPY (…) TO STDOUT (FORMAT csv), streamed by the same server
  drf     a DRF ModelSerializer over the same model, pages of 1,000 (naive baseline)
for the three largest datasets; rows/s (median of the rounds) and export/copy ratio
(budget ≥ 0.8). Then the worker's peak RSS growth over idle while exporting the labs dataset
(> 1,000,000 rows; budget < 100 MB), and the whole-study ODM export time (budget < 60 s),
then once more with its audit records (?audit=1).
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from _django import parse_args

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/trialsite_bench_exp"
PORT = 0  # a free port, chosen at start


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
PATIENTS = 3500
VISITS_PER_PATIENT = 29


def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def admin_connection(url):
    import psycopg

    parts = urlparse(url)
    return psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True), \
        parts.path.lstrip("/")


def recreate_database(url):
    conn, name = admin_connection(url)
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def drop_database(url):
    conn, name = admin_connection(url)
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def setup_django(url):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialsite.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _default_sql(field):
    from django.db.models import NOT_PROVIDED, JSONField

    if field.null:
        return "NULL"
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return "now()"
    default = field.default
    if default is NOT_PROVIDED and field.get_internal_type() in ("CharField", "TextField"):
        return "''"
    if default is NOT_PROVIDED:
        raise ValueError(f"{field.model.__name__}.{field.name} needs a value")
    value = default() if callable(default) else default
    if isinstance(field, JSONField):
        import json

        return f"'{json.dumps(value)}'::jsonb"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def insert_select(cursor, model, values, source, params=()):
    """INSERT INTO <model table> (every column) SELECT <values or defaults> <source>."""
    columns, exprs = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        expr = values.get(field.column, values.get(field.name)) or _default_sql(field)
        exprs.append(expr.replace("%", "%%"))  # the statement always has placeholders
    cursor.execute(f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) '
                   f'SELECT {", ".join(exprs)} {source}', params)


def copy_history(cursor, model):
    """One 'created' history row per record, at its updated_at, by nobody (a bulk import)."""
    history = model.history.model
    columns = [f'"{f.column}"' for f in model._meta.concrete_fields]
    cursor.execute(
        f'INSERT INTO "{history._meta.db_table}" ({", ".join(columns)}, history_date, '
        f'history_type, history_change_reason) SELECT {", ".join(columns)}, updated_at, \'+\', '
        f"'bench seed' FROM \"{model._meta.db_table}\"")


def seed():
    from django.db import connection

    from biosamples.models import Aliquot, Sample
    from eligibility.models import Screening
    from enrollment.models import Enrolment, Patient
    from outcomes.models import (
        NonTargetLesion,
        NonTargetStatus,
        TargetLesion,
        TargetMeasurement,
        TumourAssessment,
    )
    from trialsite.models import Role
    from trialsite.protocols import get_protocol
    from trialsite.services import membership_grant, study_sync_from_protocol, system_user
    from visits.crf.models import AdverseEvent, Chemistry, Haematology, VitalSigns
    from visits.models import Visit

    system = system_user()
    study = study_sync_from_protocol(actor=system, protocol=get_protocol("PALMARES-2"))
    from trialsite.models import User

    sponsor = User.objects.create_user("bench-sponsor", password=None)
    membership_grant(actor=system, user=sponsor, study=study, role=Role.SPONSOR)
    started = time.perf_counter()
    with connection.cursor() as c:
        insert_select(c, Patient, {
            "site_id": "s.id", "subject_number": "g",
            "subject_id": "s.code || '-' || lpad(g::text, 4, '0')", "sex": "'F'",
            "birth_date": "date '1955-01-01' + (g * 37 % 9000)",
            "consent_date": "date '2022-01-01' + (g % 700)", "consent_version": "'1.0'",
            "status": "'on_treatment'"},
            "FROM (SELECT id, code, row_number() OVER (ORDER BY id) - 1 AS k FROM "
            "trialsite_site WHERE study_id = %s) s JOIN generate_series(1, %s) g "
            "ON g %% 24 = s.k", [study.id, PATIENTS])
        insert_select(c, Enrolment, {
            "patient_id": "p.id", "day1": "p.consent_date", "cdk46i": "'palbociclib'",
            "cdk46i_start_dose_mg": "125", "endocrine": "'letrozole'"},
            "FROM enrollment_patient p")
        insert_select(c, Screening, {
            "patient_id": "p.id", "verdict": "'ELIGIBLE'",
            "values": "jsonb_build_object('sex', 'F', 'er_percent', '80', 'her2_ihc', '1+', "
                      "'cdk46i', 'palbociclib', 'cdk46i_start_date', p.consent_date::text)"},
            "FROM enrollment_patient p")
        insert_select(c, Visit, {
            "patient_id": "p.id", "code": "'FU' || n", "label": "'Follow-up ' || n",
            "kind": "'repeating'", "target_date": "p.consent_date + 61 * n",
            "window_start": "p.consent_date + 61 * n - 30",
            "window_end": "p.consent_date + 61 * n + 30", "status": "'completed'",
            "actual_date": "p.consent_date + 61 * n", "retrospective": "true"},
            "FROM enrollment_patient p CROSS JOIN generate_series(1, %s) n",
            [VISITS_PER_PATIENT])
        insert_select(c, VitalSigns, {
            "visit_id": "v.id", "weight_kg": "60 + v.id % 30", "height_cm": "165",
            "systolic_mmhg": "120 + v.id % 20", "diastolic_mmhg": "80", "heart_rate_per_min":
            "70", "temperature_c": "36.8"}, "FROM visits_visit v")
        haem = {"visit_id": "v.id", "sample_date": "v.actual_date"}
        for name, value, low, high in (("neutrophils", "3.2", "1.8", "7.5"),
                                       ("leucocytes", "6.1", "4.0", "10.0"),
                                       ("platelets", "250", "150", "400"),
                                       ("haemoglobin", "12.5", "12.0", "16.0"),
                                       ("lymphocytes", "1.9", "1.0", "4.0")):
            haem |= {name: f"{value} + (v.id % 7) * 0.1", f"{name}_lln": low,
                     f"{name}_uln": high}
        insert_select(c, Haematology, haem, "FROM visits_visit v")
        chem = {"visit_id": "v.id", "sample_date": "v.actual_date"}
        for name, value, high in (("bilirubin", "10", "17"), ("ast", "25", "40"),
                                  ("alt", "30", "40"), ("alp", "90", "120"),
                                  ("creatinine", "70", "90"), ("calcium", "2.35", "2.55")):
            chem |= {name: f"{value} + (v.id % 5) * 0.1", f"{name}_uln": high}
        insert_select(c, Chemistry, chem, "FROM visits_visit v")
        insert_select(c, AdverseEvent, {
            "patient_id": "v.patient_id", "visit_id": "v.id", "term": "'Fatigue'",
            "grade": "1 + v.id % 3", "start_date": "v.actual_date", "serious": "false",
            "relation_cdk46i": "'possible'", "relation_endocrine": "'unlikely'",
            "action_taken": "'none'", "outcome": "'recovering'"},
            "FROM visits_visit v WHERE v.id %% 2 = 0 LIMIT 50000")
        insert_select(c, Sample, {
            "site_id": "p.site_id", "visit_id": "v.id", "sample_code": "'liquid_biopsy'",
            "status": "'processed'", "drawn_at": "v.actual_date + time '08:00'",
            "tube_type": "'K2-EDTA 10 mL'", "frozen_at": "v.actual_date + time '10:30'",
            "aliquot_count": "4", "aliquot_volume_ml": "0.5"},
            "FROM visits_visit v JOIN enrollment_patient p ON p.id = v.patient_id")
        insert_select(c, Aliquot, {
            "site_id": "s.site_id", "sample_id": "s.id",
            "label": "'AL-' || s.id || '-' || n", "number": "n", "volume_ml": "0.5",
            "status": "'stored'"},
            "FROM biosamples_sample s CROSS JOIN generate_series(1, 4) n")
        for n in range(1, 4):
            insert_select(c, TargetLesion, {
                "patient_id": "p.id", "lesion_id": f"'T{n}'", "organ": "'liver'",
                "baseline_date": "p.consent_date", "diameter_mm": f"{10 + 10 * n}"},
                "FROM enrollment_patient p")
        for n in range(1, 3):
            insert_select(c, NonTargetLesion, {
                "patient_id": "p.id", "lesion_id": f"'NT{n}'", "organ": "'bone'",
                "baseline_date": "p.consent_date"}, "FROM enrollment_patient p")
        insert_select(c, TumourAssessment, {
            "patient_id": "v.patient_id", "visit_id": "v.id",
            "assessment_date": "v.actual_date", "computed_response": "'SD'"},
            "FROM visits_visit v WHERE v.id %% 10 < 3 LIMIT 30000")
        insert_select(c, TargetMeasurement, {
            "assessment_id": "a.id", "lesion_id": "l.id", "state": "'measured'",
            "diameter_mm": "l.diameter_mm"},
            "FROM outcomes_tumourassessment a JOIN outcomes_targetlesion l "
            "ON l.patient_id = a.patient_id")
        insert_select(c, NonTargetStatus, {
            "assessment_id": "a.id", "lesion_id": "l.id", "status": "'PRESENT'"},
            "FROM outcomes_tumourassessment a JOIN outcomes_nontargetlesion l "
            "ON l.patient_id = a.patient_id")
        for model in (Patient, Enrolment, Screening, Visit, VitalSigns, Haematology, Chemistry,
                      AdverseEvent, Sample, Aliquot, TargetLesion, NonTargetLesion,
                      TumourAssessment, TargetMeasurement, NonTargetStatus):
            copy_history(c, model)
        c.execute("ANALYZE")
    print(f"seeded in {time.perf_counter() - started:.0f} s")
    return sponsor


def start_server(url, log):
    global PORT
    PORT = free_port()
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": "bench-only-key",
           "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "exports_wsgi:application", "--chdir",
         str(ROOT / "bench"), "--pythonpath", str(ROOT), "-w", "1", "--timeout", "1800",
         "-b", f"127.0.0.1:{PORT}"], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.pid)],
                                  capture_output=True, text=True).stdout.split()
        if children and fetch("/bench/drf/subjects?limit=1")[0] > 0:
            return server, int(children[0])
        time.sleep(0.5)
    server.terminate()
    raise RuntimeError("gunicorn did not start: see var/bench-exports-gunicorn.log")


def fetch(path, token=None):
    """(bytes, seconds) of one download, read to the end in 64 KiB blocks."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=900)
    headers = {"Authorization": f"Token {token}"} if token else {}
    start = time.perf_counter()
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {response.read()[:300]!r}")
        size = 0
        while block := response.read(1 << 16):
            size += len(block)
    except ConnectionRefusedError:
        return 0, 0.0
    finally:
        conn.close()
    return size, time.perf_counter() - start


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure_package(sponsor):
    """A whole data package built in this process, as the Celery job does (one snapshot)."""
    from trialsite import files
    from trialsite.exports.models import DataPackage
    from trialsite.exports.packages import build_package, package_name

    package = DataPackage.objects.create(requested_by=sponsor)
    start = time.perf_counter()
    build_package(package)
    seconds = time.perf_counter() - start
    package.refresh_from_db()
    assert package.status == DataPackage.Status.READY, package.error
    print(f"data package (every dataset, dictionary, ODM, README; zip): "
          f"{package.size_bytes / 1e6:,.0f} MB in {seconds:.1f} s")
    files.delete(package_name(package))


def main():
    global PATIENTS
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept, seeded database")
    parser.add_argument("--odm-only", action="store_true", help="measure the ODM export only")
    parser.add_argument("--package", action="store_true",
                        help="also build a whole data package and time it")
    parser.add_argument("--patients", type=int, default=PATIENTS)
    args = parse_args(parser, rounds=1, patients=24)
    PATIENTS = args.patients
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not args.reuse:
        recreate_database(url)
    setup_django(url)
    from django.core.management import call_command

    from trialsite.exports import tokens
    from trialsite.exports.registry import Filters, all_datasets, dataset_queryset
    from trialsite.exports.services import token_create
    from trialsite.models import User

    if not args.reuse:
        call_command("migrate", verbosity=0)
        sponsor = seed()
    else:
        sponsor = User.objects.get(username="bench-sponsor")
    _, token = token_create(actor=sponsor, name="bench")
    assert tokens.hash_key(token)

    counts = {d.name: dataset_queryset(d, sponsor, Filters()).count()
              for d in all_datasets() if d.sources}
    largest = sorted(counts, key=counts.get, reverse=True)[:3]
    print("rows per dataset:", ", ".join(f"{n} {c:,}" for n, c in sorted(
        counts.items(), key=lambda kv: -kv[1])))

    (ROOT / "var").mkdir(exist_ok=True)
    log = open(ROOT / "var" / "bench-exports-gunicorn.log", "w")  # noqa: SIM115
    server, worker = start_server(url, log)
    try:
        # Memory first, on a fresh worker warmed up by one small export: its RSS, sampled
        # every 20 ms while it streams the largest dataset (> 1 M rows).
        fetch("/api/v1/exports/subjects.csv", token)
        big = max(counts, key=counts.get)
        for fmt in () if args.odm_only else ("csv", "ndjson"):
            idle = rss_kib(worker)
            peak, done = [idle], threading.Event()

            def sample_rss(peak=peak, done=done):
                while not done.is_set():
                    peak.append(rss_kib(worker))
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample_rss)
            sampler.start()
            size, seconds = fetch(f"/api/v1/exports/{big}.{fmt}", token)
            done.set()
            sampler.join()
            print(f"memory: {big}.{fmt} ({counts[big]:,} rows, {size / 1e6:,.0f} MB in "
                  f"{seconds:.1f} s, {counts[big] / seconds:,.0f} rows/s): worker RSS before "
                  f"{idle / 1024:.0f} MB, peak {max(peak) / 1024:.0f} MB, growth "
                  f"{(max(peak) - idle) / 1024:.1f} MB (budget < 100 MB)")

        print(f"\n{'dataset':<22}{'rows':>11}{'export rows/s':>15}{'COPY rows/s':>13}"
              f"{'ratio':>7}{'DRF rows/s':>12}{'COPY/DRF':>10}")
        for name in () if args.odm_only else largest:
            exports, copies, drfs = [], [], []
            for _ in range(args.rounds):
                _, seconds = fetch(f"/api/v1/exports/{name}.csv", token)
                exports.append(counts[name] / seconds)
                _, seconds = fetch(f"/bench/copy/{name}.csv?user=bench-sponsor")
                copies.append(counts[name] / seconds)
                sample, elapsed = 20_000, 0.0
                for offset in range(0, sample, 1000):
                    _, seconds = fetch(f"/bench/drf/{name}?offset={offset}&limit=1000")
                    elapsed += seconds
                drfs.append(sample / elapsed)
            e, c, d = median(exports), median(copies), median(drfs)
            print(f"{name:<22}{counts[name]:>11,}{e:>15,.0f}{c:>13,.0f}{e / c:>7.2f}{d:>12,.0f}"
                  f"{c / d:>10.0f}")

        odm_times = []
        for _ in range(max(1, args.rounds - 1)):
            size, seconds = fetch("/api/v1/exports/odm.xml", token)
            odm_times.append(seconds)
        print(f"whole-study ODM: {size / 1e6:,.0f} MB in {median(odm_times):.1f} s "
              f"(median of {len(odm_times)}; budget < 60 s); worker RSS afterwards "
              f"{rss_kib(worker) / 1024:.0f} MB")
        size, seconds = fetch("/api/v1/exports/odm.xml?audit=1", token)
        print(f"whole-study ODM with audit records: {size / 1e6:,.0f} MB in {seconds:.1f} s")
        if args.package:
            measure_package(sponsor)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
