"""follow_ups.csv: survival contacts (the survival form's rules), the death they give, and the
visit of each contact."""

from __future__ import annotations

from outcomes.realworld.importer.schedule import visit_for
from outcomes.realworld.importer.schema import (
    FileSchema,
    choice,
    date,
    keep_row,
    text,
)
from visits.crf.models import SurvivalStatus

FOLLOW_UPS = "follow_ups.csv"


def survival_contact(row):
    cells = row.cells
    return SurvivalStatus(last_contact_date=cells["last_contact_date"],
                          vital_status=cells["vital_status"] or "",
                          death_date=cells["death_date"], death_cause=cells["death_cause"] or "",
                          death_cause_other=cells["death_cause_other"])


def dates_not_before_consent(row, subject):
    for name in ("last_contact_date", "death_date"):
        when = row.cells[name]
        if when and when < subject.consent_date:
            row.problem(name, f"The date is before the patient's consent "
                              f"({subject.consent_date:%Y-%m-%d}).")


def one_death_date(row, subject):
    contact = row.record
    if contact.vital_status == SurvivalStatus.VitalStatus.DEAD and subject.death and (
            subject.death[0] != contact.death_date):
        row.problem("death_date", f"Another row gives death on {subject.death[0]:%Y-%m-%d}.")


def keep_contact(row, subject):
    """The contact, and the first death it gives (kept even when the row's dates have
    problems, so the other contacts are checked against it)."""
    contact = row.record
    if contact.vital_status == SurvivalStatus.VitalStatus.DEAD:
        subject.death = subject.death or (contact.death_date, contact.death_cause)
    keep_row(row, subject)


def not_alive_after_death(context, _source):
    for subject in context.subjects.values():
        if subject.death is None:
            continue
        death = subject.death[0]
        for row in subject.rows(FOLLOW_UPS):
            contact = row.record
            if contact.vital_status == SurvivalStatus.VitalStatus.ALIVE and (
                    contact.last_contact_date > death):
                row.problem("vital_status", f"Alive on {contact.last_contact_date:%Y-%m-%d}, "
                                            f"after the death on {death:%Y-%m-%d}.")


def one_contact_per_visit(context, _source):
    """Each contact on its visit (given, or the nearest follow-up), one per visit."""
    for subject in context.subjects.values():
        used = {}
        for row in subject.rows(FOLLOW_UPS):
            visit = visit_for(row, subject, row.cells["visit_code"], SurvivalStatus.FORM_CODE,
                              row.record.last_contact_date)
            if visit is None:
                continue
            if visit.code in used:
                row.problem("visit_code", f"Visit {visit.code} already has the follow-up of row "
                                          f"{used[visit.code]} (one per visit): give "
                                          "visit_code.")
                continue
            used[visit.code] = row.number
            row.record.visit = visit


def last_contact(subject):
    """The last date the patient is known of: consent, death or a follow-up contact."""
    dates = [subject.consent_date, subject.death[0] if subject.death else None]
    dates += [row.record.last_contact_date for row in subject.rows(FOLLOW_UPS)]
    return max(d for d in dates if d is not None)


FOLLOW_UPS_FILE = FileSchema(
    FOLLOW_UPS,
    columns=(
        text("visit_code"),
        date("last_contact_date", required=True),
        choice("vital_status", set(SurvivalStatus.VitalStatus.values), required=True),
        date("death_date"),
        choice("death_cause", set(SurvivalStatus.Cause.values)),
        text("death_cause_other"),
    ),
    record=survival_contact,
    steps=(dates_not_before_consent, one_death_date),
    keep=keep_contact,
    finish=(not_alive_after_death, one_contact_per_visit),
    model=SurvivalStatus, saving="survival",
)
