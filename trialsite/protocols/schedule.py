"""The shape of a visit schedule declaration: frozen data, no behaviour that depends on the study.

A study module builds one ``Schedule``. Day numbers are offsets in days from the schedule's
anchor date (day 0 is the anchor, e.g. D1 = first dose); windows are given as days allowed before
and after a visit's target day, both ends inclusive. The maths (planning dates, window status,
cut-off at progression, re-dating) lives in ``visits.domain.schedule``; nothing here branches on a
study code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class StopEvent(StrEnum):
    """An event after which a repeating rule generates no further visits."""

    PROGRESSION = "progression"
    DEATH = "death"
    WITHDRAWAL = "withdrawal"
    DATA_CUT_OFF = "data_cut_off"


class Numbering(StrEnum):
    """How the visits of a repeating rule are numbered in their codes and labels."""

    #: 1, 2, 3 ... in order of occurrence (FU1, FU2 ...).
    OCCURRENCE = "occurrence"
    #: The protocol month of the visit, its day divided by ``days_per_month`` (M6 = day 168).
    MONTH = "month"


@dataclass(frozen=True)
class VisitDef:
    """One fixed visit of the schedule, at a set day from the anchor."""

    code: str
    label: str
    day: int
    window_before: int
    window_after: int
    forms: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()
    assessments: tuple[str, ...] = ()
    #: Forms that must be complete for the visit to count as completed (a subset of ``forms``).
    required_forms: tuple[str, ...] = ()


@dataclass(frozen=True)
class _RepeatRule:
    code_prefix: str
    #: Label with a ``{number}`` placeholder, filled with the same number as the code.
    label_template: str
    #: Day of the first occurrence, counted from the rule's own day 0.
    first_day: int
    every_days: int
    window_before: int
    window_after: int
    forms: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()
    assessments: tuple[str, ...] = ()
    required_forms: tuple[str, ...] = ()
    #: Events after which no more occurrences are planned.
    until: frozenset[StopEvent] = frozenset()
    numbering: Numbering = Numbering.OCCURRENCE
    #: Length of a protocol month for ``Numbering.MONTH``; oncology protocols count months as
    #: 28-day treatment cycles, so M1 is day 28 and M6 is day 168.
    days_per_month: int = 28

    def day_for(self, occurrence):
        """Return the day of the ``occurrence``-th visit (1-based), from the rule's day 0."""
        if occurrence < 1:
            raise ValueError("occurrences are numbered from 1")
        return self.first_day + (occurrence - 1) * self.every_days

    def number_for(self, occurrence):
        """Return the number shown in the code and label of the ``occurrence``-th visit."""
        if self.numbering == Numbering.MONTH:
            return self.day_for(occurrence) // self.days_per_month
        return occurrence

    def code_for(self, occurrence):
        """Return the visit code of the ``occurrence``-th visit, e.g. ``M6`` or ``FU2``."""
        return f"{self.code_prefix}{self.number_for(occurrence)}"

    def label_for(self, occurrence):
        """Return the label of the ``occurrence``-th visit, e.g. ``Month 6``."""
        return self.label_template.format(number=self.number_for(occurrence))


@dataclass(frozen=True)
class RepeatingVisit(_RepeatRule):
    """Visits repeated at a fixed interval from the schedule anchor after the fixed visits."""


@dataclass(frozen=True)
class FollowUp(_RepeatRule):
    """Visits repeated at a fixed interval after the end-of-treatment visit's target date.

    Day 0 of this rule is the EOT target date, so ``first_day=84`` puts FU1 84 days after it.
    """


@dataclass(frozen=True)
class EndOfTreatment:
    """The visit added when the trigger event is recorded; its target is the event date."""

    code: str
    label: str
    window_before: int
    window_after: int
    trigger: StopEvent = StopEvent.PROGRESSION
    forms: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()
    assessments: tuple[str, ...] = ()
    required_forms: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnscheduledVisit:
    """Visits allowed at any time, outside the plan; they have no window and are never due."""

    code_prefix: str
    label: str
    forms: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()
    assessments: tuple[str, ...] = ()

    def code_for(self, occurrence):
        """Return the code of the ``occurrence``-th unscheduled visit, e.g. ``UNS1``."""
        if occurrence < 1:
            raise ValueError("occurrences are numbered from 1")
        return f"{self.code_prefix}{occurrence}"


@dataclass(frozen=True)
class Assumption:
    """A schedule value the registry text does not give: what it is and where it came from.

    Pages show these as the study's choices, never as "the protocol"; a sponsor who has the full
    protocol replaces the value and the note together.
    """

    #: The value, in words (e.g. "Data cut-off 2026-06-30").
    what: str
    #: Where it came from and why it is an assumption.
    source: str


@dataclass(frozen=True)
class Schedule:
    """A study's visit schedule."""

    #: What day 0 of the schedule is, in words shown next to the planned dates.
    anchor: str
    #: Fixed visits, in day order.
    visits: tuple[VisitDef, ...]
    #: How many days past today visits are created; later ones appear as time passes.
    materialise_ahead_days: int
    repeat: RepeatingVisit | None = None
    end_of_treatment: EndOfTreatment | None = None
    follow_up: FollowUp | None = None
    unscheduled: UnscheduledVisit | None = None
    #: Whether patients may enrol after some visits' windows have closed (a retrospective
    #: cohort); those visits are entered as history and never count as overdue.
    retrospective_entry: bool = False
    #: The study's data cut-off: repeating and follow-up rules that stop at
    #: ``StopEvent.DATA_CUT_OFF`` plan no visit targeted after this day. None: not set (a rule
    #: that names the event then fails the system check).
    data_cut_off: date | None = None
    #: Values of this schedule the registry text does not give, with their source.
    assumptions: tuple[Assumption, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
