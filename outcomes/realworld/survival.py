"""Survival and safety by CDK4/6 inhibitor, for every study: overall survival from day 1 (the
CDK4/6 inhibitor start) with delayed entry at consent, progression-free survival on the first
line, Kaplan–Meier curves per drug with a log-rank test between them, and the severe-toxicity
rate per drug counting only toxicities with onset during line-1 exposure
(``outcomes.realworld.domain.exposure``).

Reads are batched over the patients (a fixed number of queries); the estimates come from
``outcomes.stats`` (lifelines).
"""

from dataclasses import dataclass

from django.db.models import Max

from outcomes import plots, stats
from outcomes.models import StopReason, TreatmentLine
from outcomes.realworld.domain.exposure import (
    LINE_EXPOSURE_GRACE_DAYS,
    delayed_entry_days,
    line_exposure,
    severe_during,
)
from visits.crf.models import AdverseEvent, SurvivalStatus
from visits.models import Visit

#: CTCAE grade from which a toxicity counts as severe.
SEVERE_GRADE = 3


@dataclass(frozen=True)
class PatientSurvival:
    patient: object
    drug: str
    os_days: int
    os_event: bool
    pfs_days: int
    pfs_event: bool
    #: A CTCAE grade >= SEVERE_GRADE adverse event with onset during line-1 exposure.
    severe_toxicity: bool
    #: Days from day 1 to study entry (consent): the patient is at risk for OS only after it.
    os_entry_days: float = 0


def _days(start, end):
    return max(0, (end - start).days)


def patient_survival(patients):
    """``PatientSurvival`` of each enrolled patient (``patients`` with their enrolment)."""
    ids = [p.pk for p in patients]
    last_visit = dict(Visit.objects.filter(patient_id__in=ids, actual_date__isnull=False)
                      .values("patient_id").annotate(d=Max("actual_date"))
                      .values_list("patient_id", "d"))
    last_survival = dict(SurvivalStatus.objects.active().filter(visit__patient_id__in=ids)
                         .values("visit__patient_id").annotate(d=Max("last_contact_date"))
                         .values_list("visit__patient_id", "d"))
    first_lines = {line.patient_id: line for line in
                   TreatmentLine.objects.active().filter(patient_id__in=ids, number=1)}
    severe_onsets = {}
    for patient_id, onset in (AdverseEvent.objects.active()
                              .filter(patient_id__in=ids, grade__gte=SEVERE_GRADE)
                              .values_list("patient_id", "start_date")):
        severe_onsets.setdefault(patient_id, []).append(onset)
    rows = []
    for patient in patients:
        enrolment = patient.enrolment
        day1 = enrolment.day1
        known = [d for d in (patient.consent_date, last_visit.get(patient.pk),
                             last_survival.get(patient.pk), patient.death_date, day1) if d]
        last = max(known)
        os_end = patient.death_date or last
        line = first_lines.get(patient.pk)
        ends = [enrolment.progression_date, patient.death_date]
        if line is not None and line.stop_reason == StopReason.PROGRESSION:
            ends.append(line.stop_date)
        pfs_end = min((d for d in ends if d is not None), default=None)
        # Line 1 as recorded; without a record (an interventional study), the CDK4/6 inhibitor
        # runs from day 1 until progression, as the protocol gives it.
        window = (line_exposure(line.start_date, line.stop_date) if line is not None
                  else line_exposure(day1, enrolment.progression_date))
        os_days = _days(day1, os_end)
        os_event = patient.death_date is not None
        rows.append(PatientSurvival(
            patient=patient, drug=enrolment.cdk46i,
            os_days=os_days, os_event=os_event,
            pfs_days=_days(day1, pfs_end or last), pfs_event=pfs_end is not None,
            severe_toxicity=severe_during(severe_onsets.get(patient.pk, ()), window),
            os_entry_days=delayed_entry_days(day1, patient.consent_date, os_days, os_event)))
    return rows


def _by_drug(rows, protocol, days, event, title, entry=None, note=""):
    groups = {}
    for row in rows:
        groups.setdefault(row.drug, []).append(row)
    codes = [c for c in (protocol.enrolment.cdk46i_drugs if protocol.enrolment else ())
             if c in groups] + sorted(set(groups) - set(
                 protocol.enrolment.cdk46i_drugs if protocol.enrolment else ()))
    last = max((getattr(r, days) for r in rows), default=0)
    ticks, _ = plots.time_ticks(last)
    curves = []
    for code in codes:
        members = groups[code]
        km = stats.kaplan_meier(
            [getattr(r, days) for r in members], [getattr(r, event) for r in members],
            at_risk_times=ticks,
            entry=[getattr(r, entry) for r in members] if entry else None)
        curves.append((_name(protocol, code), km))
    durations = [getattr(r, days) for r in rows]
    events = [getattr(r, event) for r in rows]
    if entry:
        test = stats.logrank_delayed_entry(durations, events, [r.drug for r in rows],
                                           [getattr(r, entry) for r in rows])
    else:
        test = stats.logrank(durations, events, [r.drug for r in rows])
    return {"curves": curves, "logrank": test, "title": title, "note": note,
            "svg": plots.km_groups_plot(curves, title=title)}


def _os_note(rows):
    late = sum(1 for r in rows if r.os_entry_days > 0)
    return (
        "Delayed entry (left truncation): time runs from the CDK4/6 inhibitor start, but each "
        "patient counts as at risk only from study entry (consent), since a death before "
        f"consent could not have been observed; {late} of {len(rows)} "
        f"patient{'s' if len(rows) != 1 else ''} entered after the start. The numbers at risk "
        "and the log-rank test use the same risk sets."
    )


def _name(protocol, code):
    try:
        return protocol.drug(code).name
    except KeyError:
        return code


def summary(patients, protocol):
    """What the outcomes page shows of survival and safety for ``patients``."""
    rows = patient_survival(patients)
    if not rows:
        return {"survival": None}
    safety = []
    for code in sorted({r.drug for r in rows}, key=lambda c: _name(protocol, c)):
        members = [r for r in rows if r.drug == code]
        count = sum(r.severe_toxicity for r in members)
        safety.append({"drug": _name(protocol, code), "patients": len(members),
                       "severe": count, "rate": stats.clopper_pearson(count, len(members))})
    return {"survival": {
        "rows": rows,
        "os": _by_drug(rows, protocol, "os_days", "os_event",
                       "Overall survival by CDK4/6 inhibitor", entry="os_entry_days",
                       note=_os_note(rows)),
        "pfs": _by_drug(rows, protocol, "pfs_days", "pfs_event",
                        "Progression-free survival on the first line by CDK4/6 inhibitor"),
        "safety": safety,
        "severe_grade": SEVERE_GRADE,
        "exposure_grace_days": LINE_EXPOSURE_GRACE_DAYS,
    }}


def first_line_pfs_estimate(rows, *, median_ci, level=0.95):
    """Kaplan–Meier of the real-world PFS of line 1 over every patient of ``rows`` (the
    ``PatientSurvival`` of ``patient_survival``), its median by ``median_ci``; None without
    patients."""
    if not rows:
        return None
    ticks, _ = plots.time_ticks(max(r.pfs_days for r in rows))
    return stats.kaplan_meier([r.pfs_days for r in rows], [r.pfs_event for r in rows],
                              at_risk_times=ticks, level=level, median_ci=median_ci)
