"""Derive one patient's efficacy endpoints from RECIST 1.1 time points (pure, no clock).

All durations count whole days from D1 (``reference_date``, the start of treatment), which the
caller passes in; nothing here reads today's date.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from outcomes.domain.recist import (
    ErrorCode,
    RecistError,
    Response,
    assess,
    best_overall_response,
    first_progression_date,
    responses_until_progression,
)

# Clinical benefit counts SD "lasting at least 24 weeks": 24 x 7 = 168 days after D1.
CLINICAL_BENEFIT_DAYS = 168
# "Within 6 months" is a fixed 183 days (half of 365.25, rounded up) rather than calendar
# months, so the window is the same length whatever month D1 falls in; day 183 is inside.
EARLY_PROGRESSION_DAYS = 183


class PfsReason(StrEnum):
    """Why progression-free survival ends where it does."""

    PROGRESSION = "progression"
    DEATH = "death"
    LAST_ADEQUATE_ASSESSMENT = "last_adequate_assessment"
    NO_ADEQUATE_ASSESSMENT = "no_adequate_assessment"


@dataclass(frozen=True)
class ProgressionFreeSurvival:
    """Days from D1 to the event (``event=True``) or to censoring (``event=False``)."""

    days: int
    event: bool
    date: date
    reason: PfsReason


@dataclass(frozen=True)
class PatientEndpoints:
    """The per-patient efficacy endpoints derived from RECIST 1.1 assessments."""

    best_overall_response: Response
    objective_response: bool
    clinical_benefit: bool
    objective_clinical_benefit: bool
    early_progression: bool
    first_progression_date: date | None
    pfs: ProgressionFreeSurvival


def _check_date(value, *, what, optional=False):
    if optional and value is None:
        return
    if not isinstance(value, date) or isinstance(value, datetime):
        raise RecistError(ErrorCode.INVALID_VALUE, f"{what} must be a date, got {value!r}")


def _days(later, earlier):
    return (later - earlier).days


def progression_free_survival(timepoints, reference_date, *, death_date=None):
    """Return PFS: D1 to the first PD or death, else censored at the last adequate assessment.

    An adequate assessment is one whose overall response is not NE. Without one, PFS is
    censored at D1 with 0 days.
    """
    _check_date(reference_date, what="reference date")
    _check_date(death_date, what="death date", optional=True)
    progression = first_progression_date(timepoints)
    events = []
    if progression is not None:
        events.append((progression, PfsReason.PROGRESSION))
    if death_date is not None:
        events.append((death_date, PfsReason.DEATH))
    if events:
        # The earlier event ends PFS; on the same day progression is named as the reason.
        when, reason = min(events, key=lambda item: (item[0], item[1] is PfsReason.DEATH))
        return ProgressionFreeSurvival(_days(when, reference_date), True, when, reason)
    adequate = [point.date for point in timepoints if point.overall is not Response.NE]
    if not adequate:
        return ProgressionFreeSurvival(0, False, reference_date, PfsReason.NO_ADEQUATE_ASSESSMENT)
    last = max(adequate)
    return ProgressionFreeSurvival(
        _days(last, reference_date), False, last, PfsReason.LAST_ADEQUATE_ASSESSMENT
    )


def stable_disease_days(timepoints, reference_date, *, progression_date=None):
    """Return how long stable disease lasted, in days from D1 (RECIST 1.1 §4.6.3).

    RECIST 1.1 §4.6.3: "stable disease is measured from the start of the treatment until the
    criteria for progression are met". So the duration runs from D1 to the first progression
    (the earlier of the assessments' first PD and ``progression_date``, a progression recorded
    otherwise, clinical for instance); without progression, to the last adequate (not NE)
    assessment before it, which is as far as stability is known. None when there is neither.
    A scan on or after the benefit threshold is not required: SD at day 160 then PD at day
    252 lasted 252 days.
    """
    _check_date(reference_date, what="reference date")
    _check_date(progression_date, what="progression date", optional=True)
    ends = [d for d in (first_progression_date(timepoints), progression_date) if d is not None]
    if ends:
        return _days(min(ends), reference_date)
    adequate = [when for when, response in responses_until_progression(timepoints)
                if response is not Response.NE]
    return _days(max(adequate), reference_date) if adequate else None


def compute_endpoints(
    timepoints,
    reference_date,
    *,
    death_date=None,
    progression_date=None,
    target_disease=True,
    min_sd_days=42,
    confirm_days=28,
    confirmation_required=True,
    benefit_days=CLINICAL_BENEFIT_DAYS,
    early_progression_days=EARLY_PROGRESSION_DAYS,
):
    """Return the patient's endpoints from time points in date order (see ``recist.assess``).

    ``reference_date`` is D1. ``death_date`` is the date of death, if the patient died.
    ``progression_date`` is a progression recorded apart from the assessments (clinical),
    which ends the duration of stable disease if it comes first. ``target_disease`` is False
    for a baseline without target lesions (RECIST 1.1 Table 2).
    """
    _check_date(reference_date, what="reference date")
    _check_date(death_date, what="death date", optional=True)
    if death_date is not None and death_date < reference_date:
        raise RecistError(
            ErrorCode.INVALID_VALUE,
            f"death date {death_date.isoformat()} is before D1 {reference_date.isoformat()}",
        )
    timepoints = tuple(timepoints)
    best = best_overall_response(
        timepoints,
        reference_date,
        min_sd_days=min_sd_days,
        confirm_days=confirm_days,
        confirmation_required=confirmation_required,
        target_disease=target_disease,
    )
    responded = best in (Response.CR, Response.PR)

    # Only time points up to the first PD count, with a PR or SD after CR read as PD.
    pairs = responses_until_progression(timepoints)
    lasting = [
        (point, response)
        for point, (_, response) in zip(timepoints, pairs, strict=False)
        if response not in (Response.PD, Response.NE)
        and _days(point.date, reference_date) >= benefit_days
    ]
    # Clinical benefit: CR, PR, or SD lasting 24 weeks from D1 (RECIST 1.1 §4.6.3 duration).
    # NON-CR/NON-PD is the SD of disease without target lesions (Table 2) and counts alike.
    stable_days = stable_disease_days(timepoints, reference_date,
                                      progression_date=progression_date)
    clinical_benefit = responded or (
        best in (Response.SD, Response.NON_CR_NON_PD)
        and stable_days is not None and stable_days >= benefit_days)
    # Objective clinical benefit: CR, PR, or a minor response (any decrease from the baseline
    # sum short of a confirmed PR) still seen at an assessment 24 weeks or more after D1.
    objective_clinical_benefit = responded or any(
        point.complete
        and point.sum_mm is not None
        and point.baseline_sum_mm is not None
        and point.sum_mm < point.baseline_sum_mm
        for point, _ in lasting
    )

    progression = first_progression_date(timepoints)
    early_progression = any(
        when is not None and _days(when, reference_date) <= early_progression_days
        for when in (progression, death_date)
    )
    return PatientEndpoints(
        best_overall_response=best,
        objective_response=responded,
        clinical_benefit=clinical_benefit,
        objective_clinical_benefit=objective_clinical_benefit,
        early_progression=early_progression,
        first_progression_date=progression,
        pfs=progression_free_survival(timepoints, reference_date, death_date=death_date),
    )


def evaluate_patient(baseline, followups, reference_date, **options):
    """Assess the follow-ups against the baseline and return the patient's endpoints."""
    return compute_endpoints(assess(baseline, followups), reference_date, **options)


def not_evaluable_reason(timepoints, reference_date, best, *, has_baseline, min_sd_days=42):
    """Return why a patient's best overall response is NE, in words, or None when it is not.

    The patient stays in the denominator as a non-responder (intent to treat); the reason is
    listed beside the subject id so nobody is dropped silently.
    """
    if best is not Response.NE:
        return None
    if not has_baseline:
        return "no baseline tumour assessment"
    if not timepoints:
        return "no follow-up tumour assessment"
    pairs = responses_until_progression(timepoints)
    if all(response is Response.NE for _, response in pairs):
        return "every follow-up assessment is not evaluable (NE)"
    # RECIST 1.1 §4.6.1: a non-PD response counts only at least min_sd_days after D1.
    return (f"no assessment of stable disease or better at least {min_sd_days} days after "
            "day 1, and no progression")
