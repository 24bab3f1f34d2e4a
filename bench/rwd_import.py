"""Import a generated 3,500-patient PALMARES-2 real-world data set on PostgreSQL and time it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/trialsite_bench_imp \
        .venv/bin/python bench/rwd_import.py [--patients 3500] [--seed 7]

The database named by DATABASE_URL is dropped, created and migrated first (give a bench
database, never a real one). The data set comes from ``bench/rwd_dataset.py``. Prints the time
of the check and of the save, the rows read per second and the rows written (records and
their history rows) per second.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialsite.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/trialsite_bench_imp")

from _django import parse_args  # noqa: E402  (after the database default above)


def recreate_database(url):
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith(("trialsite_bench", "test_")):
        raise SystemExit(f"Refusing to drop {name!r}: give a bench database (trialsite_bench_*).")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=3500)
    parser.add_argument("--seed", type=int, default=7)
    args = parse_args(parser, patients=12)
    recreate_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.rwd_dataset import generate
    from outcomes.realworld.importer import FILES, import_real_world
    from trialsite.models import Membership, Role, Study, User
    from trialsite.services import system_user

    call_command("migrate", verbosity=0)
    call_command("load_protocols", verbosity=0, stdout=open(os.devnull, "w"))
    study = Study.objects.get(code="PALMARES-2")
    manager = User.objects.create_user("bench-dm", first_name="Bench", last_name="Manager")
    membership = Membership(user=manager, study=study, role=Role.DATA_MANAGER)
    membership._history_user = system_user()
    membership.save()

    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        read = generate(out, patients=args.patients, seed=args.seed)
        generated = time.perf_counter() - started
        files = {name: (Path(out) / name).read_bytes() for name in FILES}
    rows_in = sum(read.values())
    print(f"data set: {args.patients} patients, {rows_in} rows "
          f"({', '.join(f'{k} {v}' for k, v in read.items())}); generated in {generated:.1f} s")

    marks = {}
    started = time.perf_counter()
    summary = import_real_world(
        actor=manager, study=study, files=files,
        progress=lambda fraction, stage: marks.setdefault(stage, time.perf_counter()))
    total = time.perf_counter() - started
    checked = marks["saving"] - started
    saved = total - checked
    created = summary["created"]
    rows_out = sum(created.values())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM enrollment_historicalpatient")
        history = cursor.fetchone()[0]
    print(f"created: {', '.join(f'{k} {v}' for k, v in created.items())} "
          f"= {rows_out} records + {rows_out} history rows "
          f"(patient history rows in the database: {history})")
    print(f"check: {checked:.1f} s ({rows_in / checked:,.0f} rows read/s)")
    print(f"save:  {saved:.1f} s ({2 * rows_out / saved:,.0f} rows written/s, history included)")
    print(f"total: {total:.1f} s for {args.patients} patients "
          f"({args.patients / total:,.0f} patients/s)")


if __name__ == "__main__":
    main()
