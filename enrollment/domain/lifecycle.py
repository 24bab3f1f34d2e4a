"""A patient's status lifecycle: the states and the moves between them (pure)."""

from enum import StrEnum


class PatientStatus(StrEnum):
    SCREENING = "screening"
    SCREEN_FAILED = "screen_failed"
    ENROLLED = "enrolled"
    ON_TREATMENT = "on_treatment"
    OFF_TREATMENT = "off_treatment"
    OFF_STUDY = "off_study"

    @property
    def label(self):
        return LABELS[self]


LABELS = {
    PatientStatus.SCREENING: "Screening",
    PatientStatus.SCREEN_FAILED: "Screen failed",
    PatientStatus.ENROLLED: "Enrolled",
    PatientStatus.ON_TREATMENT: "On treatment",
    PatientStatus.OFF_TREATMENT: "Off treatment",
    PatientStatus.OFF_STUDY: "Off study",
}

# Screen failure and off study are final: a screen-failed person who tries again is registered
# anew (a new subject id), so each screening keeps its own record.
ALLOWED_TRANSITIONS = {
    PatientStatus.SCREENING: frozenset({PatientStatus.SCREEN_FAILED, PatientStatus.ENROLLED,
                                        PatientStatus.OFF_STUDY}),
    PatientStatus.ENROLLED: frozenset({PatientStatus.ON_TREATMENT, PatientStatus.OFF_STUDY}),
    PatientStatus.ON_TREATMENT: frozenset({PatientStatus.OFF_TREATMENT, PatientStatus.OFF_STUDY}),
    PatientStatus.OFF_TREATMENT: frozenset({PatientStatus.OFF_STUDY}),
    PatientStatus.SCREEN_FAILED: frozenset(),
    PatientStatus.OFF_STUDY: frozenset(),
}


#: Statuses reached only through their own process, never by a plain status change: enrolment
#: needs a confirmed eligible screening, screen failure a not-eligible one.
PROCESS_STATUSES = {
    PatientStatus.ENROLLED: "Enrolment is done from a confirmed eligible screening.",
    PatientStatus.SCREEN_FAILED: "A screen failure is recorded from a not-eligible screening.",
}


class TransitionNotAllowed(ValueError):
    pass


def next_statuses(current, *, manual=False):
    """Statuses reachable in one step, in lifecycle order (``manual``: by a plain change)."""
    allowed = ALLOWED_TRANSITIONS[PatientStatus(current)]
    return [s for s in PatientStatus if s in allowed and not (manual and s in PROCESS_STATUSES)]


def check_transition(current, target):
    current, target = PatientStatus(current), PatientStatus(target)
    if target not in ALLOWED_TRANSITIONS[current]:
        reachable = ", ".join(s.label.lower() for s in next_statuses(current)) or "none (final)"
        raise TransitionNotAllowed(
            f"A patient who is {current.label.lower()} cannot become {target.label.lower()}; "
            f"allowed next: {reachable}."
        )


def age_in_years(birth_date, on_date):
    """Completed years of age on ``on_date`` (a birthday counts on the day itself)."""
    years = on_date.year - birth_date.year
    if (on_date.month, on_date.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def status_after_dose(current, *, dose_given):
    """Return the status a recorded dose moves the patient to, or None when it changes nothing.

    Status follows the data: the first dose of study treatment recorded for an enrolled patient
    means she is on treatment. A record of "discontinued" or of no day taken is not a dose, and
    a dose recorded later (on or off treatment, off study for an entry made afterwards) moves
    nobody: treatment stops are recorded as such, never inferred from a missing dose.
    """
    if dose_given and PatientStatus(current) == PatientStatus.ENROLLED:
        return PatientStatus.ON_TREATMENT
    return None
