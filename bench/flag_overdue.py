"""Overdue-visit flagging over a million scheduled visits, against one hand-written SQL statement.

Run: .venv/bin/python bench/flag_overdue.py [--visits 1000000 --rounds 3]
(PostgreSQL from DATABASE_URL; a throw-away test database is created and dropped.)

The seed writes 24 sites of the PALMARES-2 protocol, patients and their planned visits with
generated SQL (fast, bench only). Each round un-flags every visit, then times:
  job:  visits.services.flag_overdue_visits (ORM UPDATE + history INSERT … SELECT, audited)
  sql:  one hand-written UPDATE … WHERE plus the same history INSERT … SELECT,
and counts the queries the job made. The budget is < 5 s and a constant number of queries.
"""

import argparse
import time
from datetime import date, timedelta

from _django import bench_database, median, parse_args

VISITS_PER_PATIENT = 25


def seed(connection, visits):
    from trialsite.protocols import get_protocol
    from trialsite.services import study_sync_from_protocol, system_user

    system = system_user()
    study = study_sync_from_protocol(actor=system, protocol=get_protocol("PALMARES-2"))
    patients = visits // VISITS_PER_PATIENT
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO enrollment_patient (version, created_at, updated_at, void_reason,
                site_id, subject_number, subject_id, sex, birth_date, consent_date,
                consent_version, status, withdrawal_reason, death_cause)
            SELECT 1, now(), now(), '', s.id, g, s.code || '-' || lpad(g::text, 5, '0'), 'F',
                   date '1960-01-01', date '2024-01-01', '1.0', 'on_treatment', '', ''
            FROM (SELECT id, code, row_number() OVER (ORDER BY id) - 1 AS k
                  FROM trialsite_site WHERE study_id = %s) s
            JOIN generate_series(1, %s) g ON g %% 24 = s.k
        """, [study.id, patients])
        # Each patient: visits every 91 days (±30) from a start in the first quarter of 2024,
        # staggered so that windows close every day, as in a real study.
        cursor.execute("""
            INSERT INTO visits_visit (version, created_at, updated_at, void_reason, patient_id,
                code, label, kind, target_date, window_start, window_end, retrospective,
                status, status_reason, forms, required_forms, samples, assessments,
                entered_forms)
            SELECT 1, now(), now(), '', p.id, 'FU' || n, 'Follow-up ' || n, 'repeating',
                   date '2024-01-01' + (p.id %% 91)::int + 91 * n,
                   date '2024-01-01' + (p.id %% 91)::int + 91 * n - 30,
                   date '2024-01-01' + (p.id %% 91)::int + 91 * n + 30, false, 'planned', '',
                   '[]', '[]', '[]',
                   '[]', '[]'
            FROM enrollment_patient p CROSS JOIN generate_series(1, %s) n
        """, [VISITS_PER_PATIENT])
        cursor.execute("ANALYZE visits_visit")
        cursor.execute("SELECT count(*) FROM visits_visit")
        return cursor.fetchone()[0]


HAND_SQL = """
WITH flagged AS (
    UPDATE visits_visit SET overdue_since = %(day)s, version = version + 1, updated_at = %(now)s
    WHERE status = 'planned' AND voided_at IS NULL AND retrospective = false
      AND window_end < %(day)s AND overdue_since IS NULL
    RETURNING *
)
INSERT INTO visits_historicalvisit ({columns}, history_date, history_change_reason,
                                    history_type, history_user_id)
SELECT {columns}, %(now)s, 'Window closed without data: flagged overdue', '~', %(user)s
FROM flagged
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parse_args(parser, visits=500, rounds=1)
    with bench_database() as (connection, name):
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from trialsite.services import system_user
        from visits import services
        from visits.models import Visit

        started = time.perf_counter()
        total = seed(connection, args.visits)
        print(f"seeded {total:,} planned visits in {time.perf_counter() - started:.1f} s")
        day = date(2026, 11, 21)
        system = system_user()
        columns = ", ".join(f.column for f in Visit._meta.concrete_fields)
        job_times, sql_times, counts = [], [], []
        for _ in range(args.rounds):
            with connection.cursor() as cursor:
                cursor.execute("UPDATE visits_visit SET overdue_since = NULL")
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                result = services.flag_overdue_visits(actor=system, today=day)
            job_times.append(time.perf_counter() - start)
            counts.append((result["flagged"], len(queries.captured_queries)))
            with connection.cursor() as cursor:
                cursor.execute("UPDATE visits_visit SET overdue_since = NULL")
            start = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(HAND_SQL.format(columns=columns),
                               {"day": day, "now": timezone.now(), "user": system.pk})
            sql_times.append(time.perf_counter() - start)
        job, sql = median(job_times), median(sql_times)
        print(f"catch-up (nothing flagged yet): {counts[0][0]:,} of {total:,} visits flagged "
              f"per run; queries per job run: {sorted({c for _, c in counts})}")
        print(f"  job (ORM, audited): {job:.2f} s median   hand-written SQL: {sql:.2f} s median"
              f"   ratio job / SQL: {job / sql:.2f}")
        # Steady state: yesterday's flags are in place; each day flags what closed since.
        daily_job, daily_sql, daily = [], [], []
        for offset in range(1, 8):
            today = day + timedelta(days=offset * 7)
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                result = services.flag_overdue_visits(actor=system, today=today)
            daily_job.append(time.perf_counter() - start)
            daily.append((result["flagged"], len(queries.captured_queries)))
            with connection.cursor() as cursor:  # the same day again, by hand: nothing left
                start = time.perf_counter()
                cursor.execute(HAND_SQL.format(columns=columns),
                               {"day": today, "now": timezone.now(), "user": system.pk})
                daily_sql.append(time.perf_counter() - start)
        low, high = min(d for d, _ in daily), max(d for d, _ in daily)
        print(f"daily run over {total:,} visits (weekly steps, {low:,}–{high:,} newly overdue; "
              f"queries {sorted({q for _, q in daily})})")
        print(f"  job: {median(daily_job):.2f} s median   hand-written SQL re-run: "
              f"{median(daily_sql):.2f} s median   budget: job < 5 s")


if __name__ == "__main__":
    main()
