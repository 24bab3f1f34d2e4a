"""Audited save against a plain save (budget: audited ≤ 2.5 × plain), side by side in one run.

Run: .venv/bin/python bench/audited_save.py [--rounds 7 --saves 300]
(PostgreSQL from DATABASE_URL; a throw-away test database is created and dropped.)

audited: the service path a page takes: lock the row, check the version, full_clean, save with
         user and reason, history row.
plain:   Model.save() of the same row, no history (skip_history_when_saving), no checks.
Then the audited save again with a lock active on another patient (the lock guard's full
look-up instead of its "no lock anywhere" short cut).
"""

import argparse
import time
from datetime import date

from _django import VERSIONS, audited_saves, bench_database, median, one_patient, parse_args


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--saves", type=int, default=300)
    args = parse_args(parser, rounds=1, saves=5)

    with bench_database() as (connection, name):
        from django.db import models, transaction

        from enrollment import services
        from enrollment.models import Patient
        from trialsite.models import Role, User
        from trialsite.monitoring.services import lock_create
        from trialsite.services import membership_grant

        system, study, site, patient = one_patient()

        def audited(n):
            return audited_saves(system, patient, n)

        def plain(n, atomic=True):
            p = Patient.objects.get(pk=patient.pk)
            p.skip_history_when_saving = True
            start = time.perf_counter()
            for i in range(n):
                p.consent_version = VERSIONS[i % 2]
                if atomic:
                    with transaction.atomic():
                        models.Model.save(p)
                else:
                    models.Model.save(p)
            return time.perf_counter() - start

        audited(20), plain(20), plain(20, atomic=False)  # warm caches and connections
        a_times, p_times, q_times, l_times = [], [], [], []
        for _ in range(args.rounds):
            a_times.append(audited(args.saves))
            p_times.append(plain(args.saves))
            q_times.append(plain(args.saves, atomic=False))
        # Then with a lock active on another patient of the site: every save now looks up
        # whether a lock covers its own site, patient or visit.
        other = services.patient_register(
            actor=system, site=site, sex="F", birth_date=date(1961, 1, 1),
            consent_date=date(2026, 1, 1), consent_version="1.0",
        )
        manager = User.objects.create_user("bench-data-manager")
        membership_grant(actor=system, user=manager, study=study, role=Role.DATA_MANAGER)
        lock_create(actor=manager, target=other, reason="benchmark: another patient locked")
        audited(20)
        for _ in range(args.rounds):
            l_times.append(audited(args.saves))
        a, p, q, lk = (median(t) / args.saves for t in (a_times, p_times, q_times, l_times))
        print(f"database: {connection.vendor} ({name}); {args.rounds} rounds × {args.saves} saves")
        print(f"audited save (service):        {a * 1000:.3f} ms median ({1 / a:,.0f}/s)")
        print(f"  … with a lock active elsewhere: {lk * 1000:.3f} ms median ({1 / lk:,.0f}/s)")
        print(f"plain save in a transaction:   {p * 1000:.3f} ms median ({1 / p:,.0f}/s)")
        print(f"plain save, autocommit:        {q * 1000:.3f} ms median ({1 / q:,.0f}/s)")
        print(f"ratio audited / plain (transaction): {a / p:.2f}  (budget ≤ 2.5); "
              f"with a lock elsewhere {lk / p:.2f}")
        print(f"ratio audited / plain (autocommit):  {a / q:.2f}")


if __name__ == "__main__":
    main()
