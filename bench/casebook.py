"""Casebook PDFs and site archives: one casebook with three years of visits, and a site
archive of 150 patients, on PostgreSQL.

The patients are made through the services, as the pages make them: screened, confirmed and
enrolled three years before today (the visit schedule follows), then at every visit up to
today the performance status, vital signs, haematology, chemistry and drug exposure, a
liquid-biopsy draw (chain of custody), a tumour assessment every 84 days; one correction of
the weight with its reason per visit, an adverse event and a monitor's query. The casebook
timed is the first patient's, followed for the whole three years; the site's other patients
were recruited along the way (``--others-years``: follow-up spread evenly up to that; by
default 0, baseline only, since seeding through the services takes about a minute per
patient-year on a loaded 2-core machine). The archive time is printed with the figure it would
be if every patient's casebook took as long as the three-year one. Budgets
(``docs/exports.md``): one casebook < 5 s, a 150-patient site archive < 10 min.

    .venv/bin/python bench/casebook.py                 # 1 casebook (5 rounds), 150-patient archive
    .venv/bin/python bench/casebook.py --smoke         # 1 year, 3 patients: that it runs
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _django import bench_database, median, parse_args  # noqa: E402


def _users(site):
    from tests.factories import UserFactory, grant
    from trialsite.models import Role

    coordinator = grant(UserFactory(username="bench-coordinator"), Role.COORDINATOR, site=site)
    grant(UserFactory(username="bench-investigator"), Role.INVESTIGATOR, site=site)
    monitor = grant(UserFactory(username="bench-monitor"), Role.MONITOR, site=site)
    manager = grant(UserFactory(username="bench-dm"), Role.DATA_MANAGER, study=site.study)
    return coordinator, monitor, manager


def seed_patient(site, coordinator, monitor, *, years, number):
    """A patient enrolled ``years`` ago with every visit up to today filled in."""
    from enrollment import services as enrollment_services
    from outcomes import services as outcome_services
    from tests.factories import enrol
    from tests.visits.crf.test_services import SAVE
    from trialsite.monitoring.services import query_open
    from visits.crf import services as crf_services
    from visits.crf.models import VitalSigns
    from visits.models import Visit

    consent = (datetime.now(UTC) - timedelta(days=int(365 * years) + 30)).date()
    patient = enrollment_services.patient_register(
        actor=coordinator, site=site, sex="F", birth_date=consent.replace(year=consent.year - 55),
        consent_date=consent, consent_version="1.0")
    patient = enrol(patient, coordinator=coordinator)
    today = datetime.now(UTC).date()
    visits = list(Visit.objects.select_related("patient__site__study", "patient__enrolment")
                  .filter(patient=patient, target_date__lt=today - timedelta(days=1),
                          kind__in=("scheduled", "repeating")).order_by("target_date"))
    baseline_done = False
    for visit in visits:
        if visit.code == "SCR":
            continue
        day = visit.target_date
        for service, values in SAVE.values():
            values = dict(values)
            for key in ("visit_date", "sample_date", "cycle_start_date"):
                if key in values:
                    values[key] = day
            try:
                service(actor=coordinator, visit=visit, values=values)
            except Exception:  # noqa: BLE001 - a form a visit does not expect is skipped
                continue
        vitals = VitalSigns.objects.filter(visit=visit).first()
        if vitals is not None:
            values = {**SAVE["vital_signs"][1], "weight_kg": Decimal("68.0") + number % 5}
            SAVE["vital_signs"][0](actor=coordinator, visit=visit, values=values,
                                   expected_version=vitals.version,
                                   reason="Scale reading re-checked against the source")
        visit = Visit.objects.select_related("patient__site__study", "patient__enrolment").get(
            pk=visit.pk)  # the forms moved its version on
        _sample(visit, coordinator, day)
        visit = Visit.objects.select_related("patient__site__study", "patient__enrolment").get(
            pk=visit.pk)
        if not baseline_done:
            outcome_services.baseline_record(
                actor=coordinator, patient=patient, date=day - timedelta(days=7),
                targets=[{"lesion_id": "T1", "organ": "liver", "diameter_mm": Decimal("50"),
                          "nodal": False}], nontargets=[{"lesion_id": "NT1", "organ": "bone"}])
            baseline_done = True
        elif "recist_imaging" in (visit.assessments or []):
            outcome_services.assessment_record(
                actor=coordinator, patient=patient, visit=visit, date=day,
                measurements={"T1": Decimal("40")}, statuses={"NT1": "PRESENT"},
                new_lesions="NO")
    from tests.visits.crf.test_services import ADVERSE_EVENT

    first = next((v for v in visits if v.code != "SCR"), None)
    if first is not None:
        crf_services.adverse_event_create(actor=coordinator, visit=first, values={
            **ADVERSE_EVENT, "start_date": first.target_date})
    vitals = VitalSigns.objects.filter(visit__patient=patient).first()
    if vitals is not None:
        query_open(actor=monitor, record=vitals, field_name="weight_kg",
                   text="Please confirm the weight against the source.")
    return patient


def _sample(visit, coordinator, day):
    from biosamples import services as bio

    if "liquid_biopsy" not in (visit.samples or []):
        return
    drawn = datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)
    try:
        sample = bio.sample_record_draw(actor=coordinator, visit=visit,
                                        sample_code="liquid_biopsy", drawn_at=drawn,
                                        drawn_by="Research nurse")
        bio.sample_process(actor=coordinator, sample=sample,
                           centrifuge_started_at=drawn + timedelta(minutes=45),
                           haemolysis="none", frozen_at=drawn + timedelta(minutes=150),
                           aliquot_count=4, aliquot_volume_ml=Decimal("0.5"))
    except Exception:  # noqa: BLE001 - a plan this visit does not carry is skipped
        return


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=float, default=3)
    parser.add_argument("--others-years", type=float, default=0,
                        help="follow-up of the site's other patients, spread evenly up to "
                             "this (0: baseline only, which keeps seeding within minutes on "
                             "a loaded machine)")
    parser.add_argument("--patients", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile one casebook")
    parser.add_argument("--no-archive", action="store_true")
    args = parse_args(parser, years=1, patients=3, rounds=1)  # --smoke: 1 year, 3 patients
    os.environ.setdefault("TRIALSITE_FILES_DIR", tempfile.mkdtemp(prefix="bench-archive-"))
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")

    with bench_database() as (connection, name):
        from django.utils import timezone

        from trialsite.archives.casebook_pdf import casebook_pdf
        from trialsite.archives.services import site_archive_request
        from trialsite.archives.site_archive import build_site_archive
        from trialsite.exports.models import SiteArchive
        from trialsite.protocols import get_protocol
        from trialsite.services import study_sync_from_protocol, system_user

        print(f"database {name} ({connection.vendor}), load {os.getloadavg()[0]:.1f}")
        study = study_sync_from_protocol(actor=system_user(), protocol=get_protocol("ICRG0201"))
        site = study.sites.order_by("code").first()
        coordinator, monitor, manager = _users(site)

        start = time.perf_counter()
        # A site at study close: the first patient was followed the whole ``years``, the
        # others were recruited along the way (follow-up spread evenly up to ``years``).
        patients = [seed_patient(site, coordinator, monitor, number=i,
                                 years=args.years if i == 0 else
                                 args.others_years * i / args.patients)
                    for i in range(args.patients)]
        seeded = time.perf_counter() - start
        from trialsite.monitoring.selectors import patient_trail

        first = patients[0]
        versions = len(patient_trail(first))
        print(f"seeded {len(patients)} patients ({args.years:g} years of visits) in "
              f"{seeded:.0f} s; patient 1 has {first.visits.count()} visits and {versions} "
              "record versions")

        timings, pages = [], 0
        for _ in range(args.rounds):
            start = time.perf_counter()
            built = casebook_pdf(first, user=manager, data_cut=timezone.now())
            timings.append(time.perf_counter() - start)
            pages = built.pages
        print(f"casebook PDF, {args.years:g} years: median {median(timings):.2f} s over "
              f"{args.rounds} rounds (min {min(timings):.2f}, max {max(timings):.2f}); "
              f"{pages} pages, {len(built.content) / 1024:.0f} KiB   budget < 5 s")

        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            casebook_pdf(first, user=manager, data_cut=timezone.now())
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        if args.no_archive:
            return
        # The request runs the job at once (eager tasks): the time is the whole build.
        start = time.perf_counter()
        archive = site_archive_request(actor=manager, site=site)
        archive = SiteArchive.objects.get(pk=archive.pk)
        if archive.status == SiteArchive.Status.QUEUED:  # a broker took it: build here
            build_site_archive(SiteArchive.objects.select_related(
                "site__study", "requested_by").get(pk=archive.pk))
            archive.refresh_from_db()
        elapsed = time.perf_counter() - start
        print(f"site archive, {len(patients)} patients: {elapsed:.1f} s "
              f"({elapsed / max(len(patients), 1):.2f} s per casebook), status {archive.status}, "
              f"{(archive.size_bytes or 0) / 1024 / 1024:.1f} MiB   budget < 600 s")
        worst = median(timings) * len(patients)
        print(f"if all {len(patients)} casebooks had {args.years:g} years of visits: about "
              f"{worst:.0f} s of casebooks (patients × the median above)   budget < 600 s")
        print(f"load at the end {os.getloadavg()[0]:.1f}")
        if archive.status != SiteArchive.Status.READY:
            raise SystemExit(f"the archive failed: {archive.error}")


if __name__ == "__main__":
    main()
