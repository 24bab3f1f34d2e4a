"""Three years of the daily jobs, day by day, for every path a patient's follow-up can take.

The clock is moved one day at a time (time-machine) and every job of the beat schedule runs
through Celery (eagerly), as the worker would run it that night; coordinators record the events
of each path through the services on their day. What must exist at the end is written from the
schedules' rules as the protocol modules state them, not from what the code produced:

- ICRG0201: M1 day 28, M2 day 56, M3 day 84, then every 84 days (M6 day 168 ...) until
  progression, whether treatment goes on or not; progression adds EOT on its date and survival
  follow-up every 84 days from it (FU1 = progression + 84), until death or withdrawal.
- PALMARES-2: follow-up every 91 days from the CDK4/6 inhibitor start, after progression too,
  until death or withdrawal.
- Visits are created ahead of time up to the horizon (168 days at ICRG0201, 182 at PALMARES-2);
  those targeted after a death or withdrawal, or anchored visits after progression, are
  cancelled; a planned visit whose window closed is flagged overdue the day after it closed.
"""

from datetime import UTC, date, datetime, time, timedelta
from importlib import import_module

import time_machine
from django.conf import settings

from eligibility.domain.screening import example_values
from enrollment import services as patient_services
from enrollment.models import Enrolment, Patient
from outcomes.models import TreatmentLine
from outcomes.realworld import services as rwd_services
from tests.factories import enrol, register_patient, site_coordinator
from trialsite.celery import app
from visits import services
from visits.crf import services as crf_services
from visits.models import Visit

YEARS_DAYS = 3 * 365

#: ICRG0201 (days from D1): the paths, by the day of their events.
ICRG_PATHS = {
    "progression": {"progression": 300},
    "toxicity stop": {"stop": 200, "progression": 600},
    "death": {"progression": 250, "death": 700},
    "withdrawal": {"withdrawal": 500},
}
#: PALMARES-2 (days from the CDK4/6 inhibitor start; enrolment is on day 238, the example
#: candidate's consent): progression, then later lines, must not end follow-up.
PALMARES_PATHS = {
    "progression": {"progression": 500, "later lines": 800},
    "toxicity stop": {"stop": 400},
    "death": {"progression": 450, "death": 900},
    "withdrawal": {"withdrawal": 700},
}


def _noon(day):
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def _daily_visit_jobs():
    """The visit jobs of the beat schedule, in the order of their time of day."""
    entries = sorted((entry for entry in settings.CELERY_BEAT_SCHEDULE.values()
                      if entry["task"].startswith("visits.tasks.")),
                     key=lambda entry: (min(entry["schedule"].hour),
                                        min(entry["schedule"].minute)))
    names = [entry["task"] for entry in entries]
    assert names == ["visits.tasks.extend_visit_schedules", "visits.tasks.flag_overdue_visits",
                     "visits.tasks.send_visit_reminders"]
    for name in names:
        import_module(name.rsplit(".", 1)[0])  # registers it, as the worker's discovery does
    return [app.tasks[name] for name in names]


def _run(jobs):
    """Run the night's jobs through Celery (eager in tests), each for the clock's today."""
    for job in jobs:
        job.delay()


def _first_dose(patient, day1):
    """The coordinator enters the baseline drug exposure: the patient's first dose."""
    visit = Visit.objects.select_related("patient__site__study").get(patient=patient,
                                                                     code="BL")
    enrolment = Enrolment.objects.get(patient=patient)
    crf_services.drug_exposure_save(
        actor=site_coordinator(patient.site), visit=visit, values={
            "dose_level": format(enrolment.cdk46i_start_dose_mg.normalize(), "f"),
            "cycle_start_date": day1, "days_taken": 1, "interrupted": False,
            "interruption_reason": "", "reduced": False, "reduction_reason": "",
            "endocrine_adherence": "as_prescribed",
            "ovarian_suppression_adherence": ("as_prescribed" if enrolment.ovarian_suppression
                                              else "")})


def _record(event, patient, day):
    coordinator = site_coordinator(patient.site)
    patient = Patient.objects.select_related("site__study").get(pk=patient.pk)
    if event == "progression":
        services.record_progression(actor=coordinator, patient=patient, progression_date=day,
                                    basis="radiological", reason="RECIST 1.1 progression")
    elif event == "stop":
        patient_services.patient_change_status(
            actor=coordinator, patient=patient, status="off_treatment",
            reason="CDK4/6 inhibitor stopped for grade 4 neutropenia, no progression")
    elif event == "death":
        services.record_death(actor=coordinator, patient=patient, death_date=day,
                              cause="progression", reason="Death reported by the family")
    elif event == "later lines":
        # Line 1 stopped at progression (day 500), line 2 stopped at progression today, line 3
        # started: the real-world record of the lines after the CDK4/6 inhibitor.
        # The contact comes first (the lines cannot end after the last contact): the
        # follow-up open today (FU9, day 819, window 789..849) records the patient alive.
        fu9 = Visit.objects.select_related("patient__site__study").get(patient=patient,
                                                                       code="FU9")
        crf_services.survival_status_save(actor=coordinator, visit=fu9, values={
            "last_contact_date": day, "vital_status": "alive", "death_date": None,
            "death_cause": "", "death_cause_other": ""})
        day1 = Enrolment.objects.get(patient=patient).day1
        second = day1 + timedelta(days=500)
        for number, drugs, start, stop in (
            (1, ["PALBOCICLIB", "LETROZOLE"], day1, second),
            (2, ["FULVESTRANT", "EVEROLIMUS"], second, day),
            (3, ["CAPECITABINE"], day, None),
        ):
            rwd_services.line_record(
                actor=coordinator, patient=patient, number=number, drugs=drugs,
                start_date=start, stop_date=stop, stop_reason="progression" if stop else "",
                best_response="SD" if stop else "NA")
    elif event == "withdrawal":
        services.patient_withdraw(actor=coordinator, patient=patient, withdrawal_date=day,
                                  reason="Patient decision")


def _day1_and_enrolment(site, consent):
    """Day 1 of the example candidate consenting on ``consent``, and the enrolment day (the
    later of the two: a PALMARES-2 patient may have started the drug before consenting)."""
    protocol = site.study.protocol
    example = example_values(protocol, consent)
    day1 = datetime.fromisoformat(example[protocol.enrolment.day1_variable]).date()
    return day1, max(consent, day1)


def _simulate(studies, *, consent, last):
    """Enrol one patient per path of each study on its enrolment day and dose them, then live
    day by day until ``last``: the day's events, then the night's jobs."""
    jobs = _daily_visit_jobs()
    plans = {site.study.code: (site, paths, *_day1_and_enrolment(site, consent))
             for site, paths in studies}
    patients = {code: {} for code in plans}
    day = consent
    with time_machine.travel(_noon(day), tick=False) as clock:
        while day <= last:
            clock.move_to(_noon(day))
            for code, (site, paths, day1, enrolled_on) in plans.items():
                if day == enrolled_on:
                    for name in paths:
                        patient = register_patient(site, consent_date=consent)
                        patients[code][name] = enrol(patient, today=day)
                        assert Enrolment.objects.get(patient=patient).day1 == day1
                        _first_dose(patients[code][name], day1)
                for name, events in paths.items():
                    for event, when in events.items():
                        if day1 + timedelta(days=when) == day:
                            _record(event, patients[code][name], day)
            _run(jobs)
            day += timedelta(days=1)
    return {code: (day1, enrolled_on, patients[code])
            for code, (_site, _paths, day1, enrolled_on) in plans.items()}


def _visits(patient):
    return {v.code: v for v in Visit.objects.filter(patient=patient)}


def _expected_icrg(day1, last, events):
    """(code, target) -> status from the ICRG0201 rules; see the module docstring."""
    progression, end = events.get("progression"), events.get("death", events.get("withdrawal"))
    last_offset = (last - day1).days
    followed_until = min(last_offset, end - 1 if end is not None else last_offset)
    expected = {"SCR": (-1, "completed"), "BL": (0, "incomplete")}
    # Anchored visits exist up to the horizon of the last day before progression.
    anchored_until = (progression - 1 if progression is not None else followed_until) + 168
    anchored = {"M1": 28, "M2": 56, "M3": 84}
    day = 168
    while day <= anchored_until:
        anchored[f"M{day // 28}"] = day
        day += 84
    for code, day in anchored.items():
        stopped = (progression is not None and day > progression) or (end is not None
                                                                       and day > end)
        expected[code] = (day, "cancelled" if stopped else "planned")
    if progression is not None:
        expected["EOT"] = (progression, "planned")
        number = 1
        while progression + 84 * number <= followed_until + 168:
            day = progression + 84 * number
            expected[f"FU{number}"] = (day, "cancelled" if end is not None and day > end
                                       else "planned")
            number += 1
    return expected


def _expected_palmares(day1, last, events, enrolled_offset):
    end = events.get("death", events.get("withdrawal"))
    last_offset = (last - day1).days
    followed_until = min(last_offset, end - 1 if end is not None else last_offset)
    created_until = max(followed_until, enrolled_offset) + 182
    expected = {"BL": (0, "incomplete")}
    number = 1
    while 91 * number <= created_until:
        day = 91 * number
        expected[f"FU{number}"] = (day, "cancelled" if end is not None and day > end
                                   else "planned")
        number += 1
    return expected


def _check(patient, expected, day1, last, windows_after):
    visits = _visits(patient)
    assert {code: ((v.target_date - day1).days, v.status) for code, v in visits.items()} == \
        expected, patient
    for visit in visits.values():
        family = visit.code.rstrip("0123456789")
        after = windows_after.get(visit.code, windows_after.get(family))
        if after is not None:
            assert (visit.window_end - visit.target_date).days == after, visit
        # Flagged overdue like any other visit: the day after its window closed, unless it
        # was entered as history (its window closed before enrolment).
        if visit.status == "planned" and visit.window_end < last and not visit.retrospective:
            assert visit.overdue_since == visit.window_end + timedelta(days=1), visit
        else:
            assert visit.overdue_since is None, visit


def test_three_years_of_daily_jobs_follow_every_path_in_both_studies(world):
    consent = date(2023, 1, 9)
    icrg_day1, icrg_enrolled = _day1_and_enrolment(world.site_a1, consent)
    last = icrg_enrolled + timedelta(days=YEARS_DAYS)
    result = _simulate([(world.site_a1, ICRG_PATHS), (world.site_b1, PALMARES_PATHS)],
                       consent=consent, last=last)

    day1, enrolled_on, patients = result["ICRG0201"]
    assert (day1, enrolled_on) == (icrg_day1, icrg_enrolled)
    for name, events in ICRG_PATHS.items():
        _check(patients[name], _expected_icrg(day1, last, events), day1, last,
               {"M1": 7, "M2": 7, "M3": 7, "M": 14, "EOT": 30, "FU": 14})
    statuses = {name: Patient.objects.get(pk=p.pk).status for name, p in patients.items()}
    assert statuses == {"progression": "off_treatment", "toxicity stop": "off_treatment",
                        "death": "off_study", "withdrawal": "off_study"}
    # Progression on day 300, three years of jobs: FU1 (day 384) to FU11 (day 1224) exist,
    # the last ones within the 168-day horizon of the last night (day 1095).
    fu = sorted(int(c[2:]) for c in _visits(patients["progression"]) if c.startswith("FU"))
    assert fu == list(range(1, 12))
    # Stopped for toxicity on day 200: the quarterly tumour assessments went on to M21 (day
    # 588), before progression on day 600.
    tox = _visits(patients["toxicity stop"])
    assert tox["M21"].status == "planned" and tox["M24"].status == "cancelled"

    day1, enrolled_on, patients = result["PALMARES-2"]
    assert (enrolled_on - day1).days == 238
    for name, events in PALMARES_PATHS.items():
        expected = _expected_palmares(day1, last, events, (enrolled_on - day1).days)
        if "later lines" in events:
            expected["FU9"] = (819, "incomplete")  # the survival contact entered on day 800
        _check(patients[name], expected, day1, last, {"FU": 30})
    progressed = _visits(patients["progression"])
    # Follow-up goes on long past FU4, past progression (day 500) and past the second and third
    # lines (day 800): FU16 on day 1456.
    assert TreatmentLine.objects.filter(patient=patients["progression"]).count() == 3
    assert max(int(code[2:]) for code in progressed if code.startswith("FU")) == 16
    # The visits whose windows closed before enrolment (day 238) wait as history.
    assert {code for code, v in progressed.items() if v.retrospective} == {"BL", "FU1", "FU2"}
