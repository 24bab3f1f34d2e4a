"""Monitoring at scale: the lock guard's cost on an audited save, and the study-wide audit
trail over many history rows (first page, a filtered page, a deep cursor page).

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/monitoring.py \
         [--history 1000000 --rounds 5 --saves 300]
(a throw-away test database is created and dropped.)

guard: the same audited service save with the lock guard installed and without it, side by
side; the guard adds one indexed EXISTS query per write of a monitored record.
trail: history rows are added to the patients' history table with one INSERT … SELECT over
generate_series (PostgreSQL), then pages are read through the selectors the page uses.
"""

import argparse
import time

from _django import audited_saves, bench_database, median, one_patient, parse_args


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--saves", type=int, default=300)
    args = parse_args(parser, history=2_000, rounds=1, saves=5)

    with bench_database() as (connection, name):
        from django.db import reset_queries
        from django.test.utils import CaptureQueriesContext

        from enrollment.models import Patient
        from trialsite.audit import register_write_guard, unregister_write_guard
        from trialsite.monitoring import selectors
        from trialsite.monitoring.guard import LOCK_GUARD

        system, study, site, patient = one_patient()

        def saves(n):
            return audited_saves(system, patient, n)

        saves(20)
        with_guard, without = [], []
        for _ in range(args.rounds):
            with_guard.append(saves(args.saves))
            unregister_write_guard(LOCK_GUARD)
            without.append(saves(args.saves))
            register_write_guard(LOCK_GUARD)
        g, w = median(with_guard) / args.saves, median(without) / args.saves
        print(f"database: {connection.vendor} ({name})")
        print(f"audited save with lock guard:    {g * 1000:.3f} ms median")
        print(f"audited save without lock guard: {w * 1000:.3f} ms median")
        print(f"ratio with / without: {g / w:.2f}")

        table = Patient.history.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{table}" (id, version, created_at, updated_at, voided_at, '
                "void_reason, site_id, subject_number, subject_id, sex, birth_date, "
                "consent_date, consent_version, status, withdrawal_date, withdrawal_reason, "
                "death_date, death_cause, history_date, history_change_reason, history_type, "
                "history_user_id) "
                "SELECT id, version + g, created_at, updated_at, voided_at, void_reason, site_id, "
                "subject_number, subject_id, sex, birth_date, consent_date, consent_version, "
                "status, withdrawal_date, withdrawal_reason, death_date, death_cause, "
                "history_date - (g || ' seconds')::interval, 'bulk', '~', history_user_id "
                f'FROM "{table}", generate_series(1, %s) AS g WHERE history_id = '
                f'(SELECT max(history_id) FROM "{table}")', [args.history])
            cursor.execute(f'ANALYZE "{table}"')
        total = Patient.history.count()
        flt = selectors.TrailFilter(study=study)
        filtered = selectors.TrailFilter(study=study, site=site, form="enrollment.Patient",
                                         action="changed", user_id=system.pk)

        def page(trail_filter, cursor=None):
            reset_queries()
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as ctx:
                rows, next_cursor = selectors.study_trail(trail_filter, cursor=cursor)
            return time.perf_counter() - start, len(ctx.captured_queries), next_cursor

        for label, trail_filter in (("first page, no filter", flt),
                                    ("first page, site+form+action+user", filtered)):
            times = [page(trail_filter) for _ in range(args.rounds)]
            print(f"{label:<36} {median([t for t, _, _ in times]) * 1000:8.1f} ms median, "
                  f"{times[0][1]} queries ({total:,} patient history rows)")
        cursor = None
        for _ in range(20):
            _, _, cursor = page(flt, cursor)
        times = [page(flt, cursor) for _ in range(args.rounds)]
        print(f"{'21st page (cursor)':<36} {median([t for t, _, _ in times]) * 1000:8.1f} ms "
              f"median, {times[0][1]} queries")


if __name__ == "__main__":
    main()
