"""screening.csv: the protocol's screening variables, read by the eligibility engine's parser,
whose verdict must be ELIGIBLE; day 1 is the screening's CDK4/6 inhibitor start."""

from __future__ import annotations

from eligibility.domain.engine import Status, Verdict
from eligibility.domain.screening import (
    FILE_ONLY_VARIABLES,
    REGISTRATION_VARIABLES,
    canonical,
    evaluate_stored,
    with_registration,
)
from eligibility.models import Screening
from outcomes.realworld.importer.files.subjects import SUBJECTS
from outcomes.realworld.importer.schema import (
    FileSchema,
    variable,
)

SCREENING = "screening.csv"


def _screening_columns(context):
    """The protocol's screening variables under their own names."""
    return tuple(variable(v) for v in context.protocol.eligibility_variables
                 if v.name not in FILE_ONLY_VARIABLES)


def _registration(subject, values):
    return with_registration(values, sex=subject.sex, birth_date=subject.birth_date,
                             consent_date=subject.consent_date)


def one_screening_per_subject(row, subject):
    if subject.screening is not None:
        row.problem("subject_id", f"{subject.subject_id} has a screening already (one row "
                                  "per subject).")
        return False
    return True


def registration_agrees(row, subject):
    """Sex, birth and consent dates, when repeated, are those of the file of subjects."""
    registration = _registration(subject, {})
    for name in REGISTRATION_VARIABLES:
        value = row.cells.get(name)
        if value is not None and value != registration[name]:
            row.problem(name, f"{value} differs from {SUBJECTS} ({registration[name]}).")


def eligible(row, subject):
    """The engine's verdict on the values with the registration facts must be ELIGIBLE."""
    protocol = row.context.protocol
    stored = _registration(subject, {k: v for k, v in row.cells.items() if v is not None})
    evaluation = evaluate_stored(protocol.eligibility_variables, protocol.criteria, stored)
    if evaluation.verdict != Verdict.ELIGIBLE:
        for result in evaluation.results:
            if result.status is Status.MISSING:
                for name in result.missing:
                    row.problem(name, f"Required by {result.code}: the cell is empty.")
            elif result.status is Status.NOT_MET:
                row.problem("", f"Not eligible: {result.code} ({result.reason}).")
        return False
    row.record = Screening(values=stored, verdict=evaluation.verdict,
                           failed_criteria=list(evaluation.failed_codes),
                           missing_variables=list(evaluation.missing_variables))
    return True


def day1_is_the_screening_date(row, subject):
    name = row.context.protocol.enrolment.day1_variable
    given = row.record.values.get(name)
    if given != canonical(subject.day1):
        row.problem(name, f"{given} differs from day1 in {SUBJECTS} "
                          f"({subject.day1:%Y-%m-%d}): day 1 is this screening date.")
        return False
    return True


def keep_screening(row, subject):
    subject.screening = row.record


def every_subject_screened(context, source):
    screened = {values.get("subject_id") for _, values in source.rows}
    for subject in context.subjects.values():
        if subject.subject_id not in screened:
            context.problem(SUBJECTS, subject.row, "subject_id",
                            f"{subject.subject_id} has no row in {SCREENING}.")


SCREENING_FILE = FileSchema(
    SCREENING, required=True,
    protocol_columns=_screening_columns,
    steps=(one_screening_per_subject, registration_agrees, eligible,
           day1_is_the_screening_date),
    keep=keep_screening,
    finish=(every_subject_screened,),
)
