"""Schedule maths: planned dates and windows, window status, progression cut-off, re-dating,
and who is still followed.

Pure functions over a ``trialsite.protocols.schedule.Schedule``: dates come in as arguments
(there is no clock), results are frozen dataclasses and StrEnums. Windows are inclusive at both
ends: a visit on the first or the last day of its window is on time.

Follow-up never stops early: a patient's schedule grows until death, withdrawal or the study's
data cut-off (``is_followed``, ``rule_until``), whatever happened to the treatment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from enrollment.domain.lifecycle import PatientStatus
from trialsite.protocols.schedule import Numbering, Schedule, StopEvent

# Enough occurrences of a repeating rule to check its codes for clashes: 100 quarterly visits
# are 23 years, longer than any patient is followed.
_OCCURRENCES_CHECKED = 100


class VisitKind(StrEnum):
    """Where a visit comes from, which decides what moves it and what cancels it."""

    #: A fixed visit of the schedule (screening, baseline, M1 ...), dated from the anchor.
    SCHEDULED = "scheduled"
    #: An occurrence of the schedule's repeating rule, dated from the anchor.
    REPEATING = "repeating"
    #: Added when progression is recorded, dated from the progression date.
    END_OF_TREATMENT = "end_of_treatment"
    #: Follow-up after end of treatment, dated from the EOT target date.
    FOLLOW_UP = "follow_up"
    #: Outside the plan, at any time; never planned, never due.
    UNSCHEDULED = "unscheduled"


# Visits dated from the anchor: these move when the anchor moves and stop at progression.
ANCHORED_KINDS = frozenset({VisitKind.SCHEDULED, VisitKind.REPEATING})


class VisitStatus(StrEnum):
    """Where a planned visit stands on a given day."""

    UPCOMING = "upcoming"
    OPEN = "open"
    OVERDUE = "overdue"
    COMPLETED = "completed"
    INCOMPLETE = "incomplete"
    #: Window closed before enrolment and no data yet: to be entered as history, never overdue.
    HISTORY = "history"


@dataclass(frozen=True)
class PlannedVisit:
    """One visit of a patient's plan, with dates; windows include both ends."""

    code: str
    label: str
    kind: VisitKind
    target_date: date
    window_start: date
    window_end: date
    forms: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()
    assessments: tuple[str, ...] = ()
    required_forms: tuple[str, ...] = ()

    def shifted(self, days):
        """Return this visit with its target and window moved by ``days``."""
        delta = timedelta(days=days)
        return replace(
            self,
            target_date=self.target_date + delta,
            window_start=self.window_start + delta,
            window_end=self.window_end + delta,
        )


def _planned(definition, code, label, kind, target):
    return PlannedVisit(
        code=code,
        label=label,
        kind=kind,
        target_date=target,
        window_start=target - timedelta(days=definition.window_before),
        window_end=target + timedelta(days=definition.window_after),
        forms=definition.forms,
        samples=definition.samples,
        assessments=definition.assessments,
        required_forms=definition.required_forms,
    )


def _occurrences(rule, kind, day_zero, until):
    """Yield the rule's visits with a target on or before ``until``."""
    if rule.every_days <= 0:
        raise ValueError(f"{rule.code_prefix}: a repeating rule needs a positive interval")
    occurrence = 1
    while (target := day_zero + timedelta(days=rule.day_for(occurrence))) <= until:
        yield _planned(rule, rule.code_for(occurrence), rule.label_for(occurrence), kind, target)
        occurrence += 1


def _chronological(visits):
    # sorted() is stable, so visits on the same day keep their declared order.
    return sorted(visits, key=lambda visit: visit.target_date)


def horizon(schedule, today):
    """Return the last target date to materialise visits up to, as of ``today``."""
    return today + timedelta(days=schedule.materialise_ahead_days)


#: Statuses of patients whose schedule still grows: enrolled, on treatment, and off treatment
#: (a patient who stopped the drug is still followed: tumour assessments until progression,
#: then survival). Off study (death, withdrawal, end of study) and screening states are not.
FOLLOWED_STATUSES = frozenset({PatientStatus.ENROLLED, PatientStatus.ON_TREATMENT,
                               PatientStatus.OFF_TREATMENT})


def is_followed(status, *, death_date=None, withdrawal_date=None):
    """Tell whether a patient's schedule still grows: not off study, not dead, not withdrawn."""
    return (PatientStatus(status) in FOLLOWED_STATUSES and death_date is None
            and withdrawal_date is None)


def rule_until(schedule, rule, until):
    """Return the last target date of ``rule``'s visits: ``until``, or the study's data
    cut-off when it is earlier and the rule stops there (a visit on the cut-off day is
    planned, the next day's is not)."""
    if StopEvent.DATA_CUT_OFF in rule.until and schedule.data_cut_off is not None:
        return min(until, schedule.data_cut_off)
    return until


def plan(schedule, anchor_date, until, *, progression_date=None):
    """Return the planned visits in date order, repeating visits up to ``until`` (inclusive).

    Fixed visits are always all planned; repeating visits are planned while their target date is
    on or before ``until`` (and the data cut-off, when the rule stops there). With
    ``progression_date``, the plan is cut off there as ``cut_off_at_progression`` does: end of
    treatment and follow-up replace later visits.
    """
    visits = [
        _planned(d, d.code, d.label, VisitKind.SCHEDULED, anchor_date + timedelta(days=d.day))
        for d in schedule.visits
    ]
    if schedule.repeat is not None:
        visits.extend(_occurrences(schedule.repeat, VisitKind.REPEATING, anchor_date,
                                   rule_until(schedule, schedule.repeat, until)))
    visits = _chronological(visits)
    if progression_date is not None:
        cut = cut_off_at_progression(schedule, visits, progression_date, until)
        visits = _chronological(cut.kept + cut.added)
    return visits


def is_retrospective(schedule, visit, enrolment_date):
    """Tell whether a visit is entered as history: its window closed before enrolment.

    Only schedules declared with ``retrospective_entry`` (a retrospective cohort) have such
    visits; elsewhere a visit missed before enrolment is simply overdue.
    """
    return schedule.retrospective_entry and visit.window_end < enrolment_date


def window_status(visit, today, has_data, complete, *, retrospective=False):
    """Return the visit's status on ``today``.

    A visit with data is completed or incomplete whatever the date (a visit done outside its
    window is a deviation to report, see ``window_deviation``). Without data it is upcoming before
    its window opens, open from the first to the last day of the window, and overdue from the
    day after, unless it is retrospective: then it waits as history and is never overdue.
    """
    if complete and not has_data:
        raise ValueError("a visit cannot be complete without data")
    if has_data:
        return VisitStatus.COMPLETED if complete else VisitStatus.INCOMPLETE
    if today < visit.window_start:
        return VisitStatus.UPCOMING
    if today <= visit.window_end:
        return VisitStatus.OPEN
    return VisitStatus.HISTORY if retrospective else VisitStatus.OVERDUE


@dataclass(frozen=True)
class WindowDeviation:
    """A visit done outside its window: a protocol deviation, reported, never refused."""

    code: str
    actual_date: date
    window_start: date
    window_end: date
    #: Days between the actual date and the nearest window edge (always positive).
    days_outside: int
    early: bool

    @property
    def message(self):
        side = "before its window opened" if self.early else "after its window closed"
        unit = "day" if self.days_outside == 1 else "days"
        return (
            f"{self.code} on {self.actual_date.isoformat()} is {self.days_outside} {unit} {side} "
            f"({self.window_start.isoformat()} to {self.window_end.isoformat()})"
        )


def window_deviation(visit, actual_date):
    """Return how far ``actual_date`` falls outside the visit's window, or None when inside."""
    if actual_date < visit.window_start:
        days, early = (visit.window_start - actual_date).days, True
    elif actual_date > visit.window_end:
        days, early = (actual_date - visit.window_end).days, False
    else:
        return None
    return WindowDeviation(
        code=visit.code,
        actual_date=actual_date,
        window_start=visit.window_start,
        window_end=visit.window_end,
        days_outside=days,
        early=early,
    )


def cancelled_after(planned, event_date, *, done_codes=frozenset(), kinds=ANCHORED_KINDS):
    """Return the visits of ``kinds`` targeted after ``event_date`` and not done, in order.

    A visit on the event date itself is kept; a visit already done is never cancelled, even when
    its target is later (data that exist stay).
    """
    return tuple(
        visit
        for visit in planned
        if visit.kind in kinds and visit.target_date > event_date and visit.code not in done_codes
    )


def plan_follow_up(schedule, eot_target, until):
    """Return the follow-up visits after an EOT targeted on ``eot_target``, up to ``until``
    (and the data cut-off, when the rule stops there)."""
    if schedule.follow_up is None:
        return []
    return list(_occurrences(schedule.follow_up, VisitKind.FOLLOW_UP, eot_target,
                             rule_until(schedule, schedule.follow_up, until)))


@dataclass(frozen=True)
class ProgressionCutOff:
    """What recording progression does to a plan: visits kept, cancelled and added."""

    kept: tuple[PlannedVisit, ...]
    cancelled: tuple[PlannedVisit, ...]
    added: tuple[PlannedVisit, ...]


def cut_off_at_progression(schedule, planned, progression_date, until, *, done_codes=frozenset()):
    """Return which visits progression cancels and the EOT and follow-up visits it adds.

    Only for a schedule whose end of treatment is triggered by progression: anchored visits
    targeted after the progression date are cancelled (those on the date are kept, those done are
    kept); EOT is added with its target on the progression date, and follow-up from the EOT
    target up to ``until``. Visits already in ``planned`` are not added again, so applying the
    result and calling again with the same date adds nothing. Elsewhere progression changes
    nothing in the schedule (it is an outcome to record, not a reason to stop visits).
    """
    planned = tuple(planned)
    rule = schedule.end_of_treatment
    if rule is None or rule.trigger != StopEvent.PROGRESSION:
        return ProgressionCutOff(kept=planned, cancelled=(), added=())
    cancelled = cancelled_after(planned, progression_date, done_codes=done_codes)
    kept = tuple(visit for visit in planned if visit not in cancelled)
    eot = _planned(rule, rule.code, rule.label, VisitKind.END_OF_TREATMENT, progression_date)
    present = {visit.code for visit in kept}
    added = tuple(
        visit
        for visit in (eot, *plan_follow_up(schedule, progression_date, until))
        if visit.code not in present
    )
    return ProgressionCutOff(kept=kept, cancelled=cancelled, added=added)


def redate(planned, old_anchor, new_anchor, done_codes=frozenset()):
    """Return the plan with every anchored visit not yet done moved by the anchor shift.

    Done visits keep their dates (what happened, happened); EOT and follow-up are dated from
    progression, not from the anchor, so they stay too. The result is in date order.
    """
    shift = (new_anchor - old_anchor).days
    return _chronological(
        visit.shifted(shift)
        if visit.kind in ANCHORED_KINDS and visit.code not in done_codes
        else visit
        for visit in planned
    )


def _window(definition, day):
    return day - definition.window_before, day + definition.window_after


def _definition_problems(name, definition):
    problems = []
    if definition.window_before < 0 or definition.window_after < 0:
        problems.append(
            f"{name}: window sizes must not be negative "
            f"({definition.window_before} before, {definition.window_after} after)"
        )
    missing = [form for form in definition.required_forms if form not in definition.forms]
    if missing:
        problems.append(f"{name}: required forms not among its forms: {', '.join(missing)}")
    return problems


def _rule_problems(name, rule):
    problems = _definition_problems(name, rule)
    if not rule.code_prefix:
        problems.append(f"{name}: the code prefix is empty")
    if rule.every_days <= 0:
        problems.append(f"{name}: the interval must be positive, not {rule.every_days}")
    try:
        label = rule.label_template.format(number=1)
    except (KeyError, IndexError, ValueError):
        problems.append(f"{name}: the label template may only use {{number}}")
    else:
        if label == rule.label_template:
            problems.append(f"{name}: the label template does not use {{number}}")
    if rule.numbering == Numbering.MONTH:
        if rule.days_per_month <= 0:
            problems.append(f"{name}: days per month must be positive")
        elif rule.first_day % rule.days_per_month or rule.every_days % rule.days_per_month:
            problems.append(
                f"{name}: month numbering needs days that are whole {rule.days_per_month}-day "
                "months"
            )
    if not rule.until:
        problems.append(f"{name}: no event stops the repetition")
    return problems


def _cut_off_problems(schedule):
    """A declared cut-off must stop something; a rule may name the cut-off before its date is
    set (it then stops there once the sponsor declares it)."""
    rules = (schedule.repeat, schedule.follow_up)
    stopping = [rule for rule in rules if rule is not None and StopEvent.DATA_CUT_OFF in rule.until]
    if schedule.data_cut_off is not None and not stopping:
        return ["a data cut-off is declared but no repeating rule stops there"]
    return []


def _rule_windows(rule):
    """Return the first three occurrences' windows: later ones repeat the same spacing."""
    if rule.every_days <= 0:
        return []
    return [(rule.code_for(n), _window(rule, rule.day_for(n))) for n in (1, 2, 3)]


def _overlaps(timeline):
    """Return a problem for each pair of windows on one timeline that share a day."""
    problems = []
    for index, (code_a, (start_a, end_a)) in enumerate(timeline):
        for code_b, (start_b, end_b) in timeline[index + 1 :]:
            if start_a <= end_b and start_b <= end_a:
                problems.append(
                    f"windows of {code_a} (days {start_a}..{end_a}) and {code_b} "
                    f"(days {start_b}..{end_b}) overlap"
                )
    return problems


def validate_schedule(schedule: Schedule) -> list[str]:
    """Return every inconsistency in a schedule declaration, as messages (empty when sound)."""
    problems = []
    if not schedule.anchor.strip():
        problems.append("the anchor is not described")
    if schedule.materialise_ahead_days < 0:
        problems.append("materialise_ahead_days must not be negative")
    if not schedule.visits and schedule.repeat is None:
        problems.append("the schedule plans no visits")
    problems.extend(_cut_off_problems(schedule))

    codes = []
    for definition in schedule.visits:
        if not definition.code or not definition.label:
            problems.append(f"visit on day {definition.day}: code and label are required")
        problems.extend(_definition_problems(definition.code, definition))
        codes.append(definition.code)
    days = [definition.day for definition in schedule.visits]
    if days != sorted(days):
        problems.append("fixed visits must be declared in day order")

    # Timeline dated from the anchor: fixed visits, then repeats.
    anchored = [(d.code, _window(d, d.day)) for d in schedule.visits]
    repeat = schedule.repeat
    if repeat is not None:
        problems.extend(_rule_problems("repeating visits", repeat))
        if days and repeat.first_day <= max(days):
            problems.append("repeating visits must start after the last fixed visit")
        if repeat.every_days > 0:
            codes.extend(repeat.code_for(n) for n in range(1, _OCCURRENCES_CHECKED + 1))
            if schedule.materialise_ahead_days < repeat.every_days:
                # With a shorter horizon there would be days when the next visit does not exist
                # yet, so nobody could plan it.
                problems.append(
                    "materialise_ahead_days is shorter than the repeat interval, so the next "
                    "visit would sometimes not exist yet"
                )
        anchored.extend(_rule_windows(repeat))
    problems.extend(_overlaps(anchored))

    # Timeline dated from progression: EOT on day 0, follow-up from the EOT target.
    eot, follow_up = schedule.end_of_treatment, schedule.follow_up
    after_progression = []
    if eot is not None:
        if not eot.code or not eot.label:
            problems.append("end of treatment: code and label are required")
        problems.extend(_definition_problems(eot.code, eot))
        codes.append(eot.code)
        after_progression.append((eot.code, _window(eot, 0)))
        if eot.trigger == StopEvent.PROGRESSION and (
            repeat is None or StopEvent.PROGRESSION not in repeat.until
        ):
            problems.append("end of treatment follows progression but visits do not stop there")
    if follow_up is not None:
        problems.extend(_rule_problems("follow-up visits", follow_up))
        if eot is None:
            problems.append("follow-up is dated from end of treatment, which is not declared")
        if follow_up.every_days > 0:
            codes.extend(follow_up.code_for(n) for n in range(1, _OCCURRENCES_CHECKED + 1))
        after_progression.extend(_rule_windows(follow_up))
    problems.extend(_overlaps(after_progression))

    seen, duplicates = set(), []
    for code in codes:
        if code in seen and code not in duplicates:
            duplicates.append(code)
        seen.add(code)
    if duplicates:
        problems.append(f"visit codes are not unique: {', '.join(duplicates)}")

    unscheduled = schedule.unscheduled
    if unscheduled is not None:
        if not unscheduled.code_prefix:
            problems.append("unscheduled visits: the code prefix is empty")
        else:
            # Unscheduled codes are the prefix and any number, so no other code may look like one.
            pattern = re.compile(rf"{re.escape(unscheduled.code_prefix)}\d+")
            clashes = sorted({code for code in seen if pattern.fullmatch(code)})
            if clashes:
                problems.append(
                    f"codes clash with unscheduled visits ({unscheduled.code_prefix}<n>): "
                    f"{', '.join(clashes)}"
                )
    return problems
