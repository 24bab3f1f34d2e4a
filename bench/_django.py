"""Set up Django for a benchmark on a throw-away database (test_<name>), made and dropped here."""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialsite.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/trialsite")


@contextmanager
def bench_database():
    import django

    django.setup()
    from django.db import connection

    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield connection, name
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


def parse_args(parser, **smoke):
    """Parse a benchmark's arguments and print the machine's load, which every figure is read
    against. ``--smoke`` swaps in ``smoke``'s tiny sizes (and one round): CI runs every bench so,
    in seconds, and a schema or API change that breaks a bench fails CI instead of rotting."""
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, one round: proves the bench runs (CI), measures nothing")
    args = parser.parse_args()
    if args.smoke:
        for key, value in smoke.items():
            setattr(args, key, value)
    print_load("start")
    return args


def print_load(when):
    one, five, fifteen = os.getloadavg()
    print(f"machine at {when}: {os.cpu_count()} cores, load average {one:.2f} {five:.2f} "
          f"{fifteen:.2f}")


def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


VERSIONS = ("1.0", "1.1")


def one_patient():
    """ICRG0201 with one registered patient at its first site, the system user its coordinator.
    Returns (system user, study, site, patient)."""
    from datetime import date

    from enrollment import services
    from trialsite.models import Role
    from trialsite.protocols import get_protocol
    from trialsite.services import membership_grant, study_sync_from_protocol, system_user

    system = system_user()
    study = study_sync_from_protocol(actor=system, protocol=get_protocol("ICRG0201"))
    site = study.sites.first()
    membership_grant(actor=system, user=system, study=study, role=Role.COORDINATOR, site=site)
    patient = services.patient_register(
        actor=system, site=site, sex="F", birth_date=date(1960, 1, 1),
        consent_date=date(2026, 1, 1), consent_version=VERSIONS[0],
    )
    return system, study, site, patient


def audited_saves(actor, patient, n):
    """Seconds for ``n`` audited service updates of the patient (the path a page takes)."""
    import time

    from enrollment import services
    from enrollment.models import Patient

    p = Patient.objects.get(pk=patient.pk)
    start = time.perf_counter()
    for i in range(n):
        p = services.patient_update(actor=actor, patient=p, expected_version=p.version,
                                    reason="benchmark", consent_version=VERSIONS[i % 2])
    return time.perf_counter() - start
