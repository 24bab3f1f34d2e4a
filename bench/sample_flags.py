"""The daily sample check over many visits, against a hand-written SQL statement.

Run: .venv/bin/python bench/sample_flags.py [--visits 100000 --rounds 3]
(PostgreSQL from DATABASE_URL; a throw-away test database is created and dropped.)

The seed writes the ICRG0201 sites, patients and their completed visits that expect a liquid
biopsy with generated SQL (bench only); 95 % of the visits get their sample recorded, so 5 % are
missing. Each round (rolled back at its end, so each starts with no flag) times:
  job:  biosamples.services.sample_flags_refresh (select of problems, bulk insert with history,
        audited set-based resolution), with its query count;
  sql:  one hand-written INSERT … SELECT of the missing-sample flags (no history),
then runs the job again on the same day (the daily steady state: nothing new).
"""

import argparse
import time
from datetime import date

from _django import bench_database, median, parse_args

VISITS_PER_PATIENT = 10


def seed(connection, visits):
    from trialsite.protocols import get_protocol
    from trialsite.services import study_sync_from_protocol, system_user

    system = system_user()
    study = study_sync_from_protocol(actor=system, protocol=get_protocol("ICRG0201"))
    patients = visits // VISITS_PER_PATIENT
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM trialsite_site WHERE study_id = %s", [study.id])
        sites = cursor.fetchone()[0]
        cursor.execute("""
            INSERT INTO enrollment_patient (version, created_at, updated_at, void_reason,
                site_id, subject_number, subject_id, sex, birth_date, consent_date,
                consent_version, status, withdrawal_reason, death_cause)
            SELECT 1, now(), now(), '', s.id, g, s.code || '-' || lpad(g::text, 5, '0'), 'F',
                   date '1960-01-01', date '2024-01-01', '1.0', 'on_treatment', '', ''
            FROM (SELECT id, code, row_number() OVER (ORDER BY id) - 1 AS k
                  FROM trialsite_site WHERE study_id = %s) s
            JOIN generate_series(1, %s) g ON g %% %s = s.k
        """, [study.id, patients, sites])
        cursor.execute("""
            INSERT INTO visits_visit (version, created_at, updated_at, void_reason, patient_id,
                code, label, kind, target_date, window_start, window_end, retrospective,
                status, status_reason, forms, required_forms, samples, assessments,
                entered_forms, actual_date)
            SELECT 1, now(), now(), '', p.id, 'M' || (3 * n), 'Month ' || (3 * n), 'repeating',
                   date '2024-01-01' + 84 * n, date '2024-01-01' + 84 * n - 14,
                   date '2024-01-01' + 84 * n + 14, false, 'completed', '', '[]', '[]',
                   '["liquid_biopsy"]', '[]', '[]', date '2024-01-01' + 84 * n
            FROM enrollment_patient p CROSS JOIN generate_series(1, %s) n
        """, [VISITS_PER_PATIENT])
        cursor.execute("""
            INSERT INTO biosamples_sample (version, created_at, updated_at, void_reason, site_id,
                visit_id, sample_code, status, drawn_at, tube_type, drawn_by,
                not_collected_reason, haemolysis, deviations, deviation_text)
            SELECT 1, now(), now(), '', p.site_id, v.id, 'liquid_biopsy', 'collected',
                   v.actual_date + time '09:00', '10 mL K2-EDTA', 'bench', '', '', '[]', ''
            FROM visits_visit v JOIN enrollment_patient p ON p.id = v.patient_id
            WHERE v.id %% 20 <> 0
        """, [])
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM visits_visit")
        return cursor.fetchone()[0]


HAND_SQL = """
INSERT INTO biosamples_sampleflag (version, created_at, updated_at, void_reason, site_id, kind,
    visit_id, sample_code, raised_on)
SELECT 1, now(), now(), '', p.site_id, 'missing_sample', v.id, 'liquid_biopsy', %(day)s
FROM visits_visit v JOIN enrollment_patient p ON p.id = v.patient_id
WHERE v.status IN ('completed', 'incomplete') AND v.voided_at IS NULL
  AND v.samples @> '["liquid_biopsy"]'::jsonb
  AND NOT EXISTS (SELECT 1 FROM biosamples_sample s WHERE s.visit_id = v.id
                  AND s.sample_code = 'liquid_biopsy' AND s.voided_at IS NULL)
  AND NOT EXISTS (SELECT 1 FROM biosamples_sampleflag f WHERE f.kind = 'missing_sample'
                  AND f.visit_id = v.id AND f.sample_code = 'liquid_biopsy')
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parse_args(parser, visits=300, rounds=1)
    with bench_database() as (connection, name):
        from django.db import transaction
        from django.test.utils import CaptureQueriesContext

        from biosamples import services
        from trialsite.services import system_user

        started = time.perf_counter()
        total = seed(connection, args.visits)
        print(f"seeded {total:,} completed visits expecting a sample in "
              f"{time.perf_counter() - started:.1f} s")
        day = date(2026, 11, 21)
        system = system_user()
        job, sql, again, queries = [], [], [], set()
        # Each round runs inside a transaction rolled back at the end (history rows cannot be
        # deleted, by design), so every round starts with no flag.
        for _ in range(args.rounds):
            with transaction.atomic():
                start = time.perf_counter()
                with CaptureQueriesContext(connection) as captured:
                    result = services.sample_flags_refresh(actor=system, today=day)
                job.append(time.perf_counter() - start)
                queries.add(len(captured.captured_queries))
                slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
                start = time.perf_counter()
                with CaptureQueriesContext(connection) as captured:
                    services.sample_flags_refresh(actor=system, today=day)
                again.append(time.perf_counter() - start)
                queries.add(len(captured.captured_queries))
                transaction.set_rollback(True)
            with transaction.atomic():
                start = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(HAND_SQL, {"day": day})
                sql.append(time.perf_counter() - start)
                transaction.set_rollback(True)
        print(f"flags raised per catch-up run: {result['raised']}; queries per job run: "
              f"{sorted(queries)}")
        print(f"  catch-up job (audited): {median(job):.2f} s median   hand-written SQL (no "
              f"history): {median(sql):.2f} s median   ratio: {median(job) / median(sql):.1f}")
        print("  slowest statements of the catch-up run: " + ", ".join(
            f"{q['time']} s {q['sql'][:60]!r}" for q in slowest))
        print(f"  daily re-run (nothing new): {median(again):.2f} s median")


if __name__ == "__main__":
    main()
