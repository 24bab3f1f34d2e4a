"""subjects.csv: registration and enrolment (the services' and the protocol's rules), and
each subject's visit schedule."""

from __future__ import annotations

import re

from enrollment.models import Patient
from outcomes.realworld.importer.schedule import schedule
from outcomes.realworld.importer.schema import (
    FileSchema,
    Subject,
    boolean,
    choice,
    date,
    decimal,
    text,
)
from trialsite.models import Site

SUBJECTS = "subjects.csv"


SUBJECT_ID = re.compile(r"^(?P<site>[A-Z0-9]+)-(?P<number>\d{3,})$")


def _sites(context):
    return {s.code: s for s in Site.objects.filter(study=context.study)}


def _ids_taken(context, source):
    """The subject ids and site numbers already used (by any patient, voided ones too)."""
    ids = [values.get("subject_id", "") for _, values in source.rows]
    return {
        "ids": set(Patient.objects.filter(subject_id__in=ids).values_list("subject_id",
                                                                           flat=True)),
        "numbers": set(Patient.objects.filter(site__study=context.study)
                       .values_list("site__code", "subject_number")),
    }


def subject_id_is_new(row):
    """``<SITE>-NNN`` of the row's site, its number never used, and given once."""
    site, subject_id = row.cells["site"] or None, row.cells["subject_id"]
    match = SUBJECT_ID.match(subject_id or "")
    if subject_id and match is None:
        row.problem("subject_id", f"{subject_id!r} is not a subject id (<SITE>-NNN).")
    elif match and site is not None and match["site"] != site.code:
        row.problem("subject_id", f"{subject_id} does not belong to site {site.code}.")
    elif match:
        number, taken = int(match["number"]), row.memory
        if number == 0:
            row.problem("subject_id", "Subject numbers start at 001.")
        elif subject_id in taken["ids"] or (match["site"], number) in taken["numbers"]:
            row.problem("subject_id", f"{subject_id} is already used (subject ids are never "
                                      "reused): was this file imported before?")
        elif subject_id in row.context.subjects:
            row.problem("subject_id", f"{subject_id} is given twice "
                                      f"(row {row.context.subjects[subject_id].row}).")


def consent_not_before_birth(row):
    birth, consent = row.cells["birth_date"], row.cells["consent_date"]
    if birth and consent and consent < birth:
        row.problem("consent_date", "Consent cannot be dated before birth.")


def day1_not_before_consent(row):
    day1, consent = row.cells["day1"], row.cells["consent_date"]
    if day1 and consent and row.context.protocol.enrolment.day1_on_or_after_consent and (
            day1 < consent):
        row.problem("day1", "Day 1 cannot be before informed consent.")


def dose_is_a_dose_level(row):
    cdk46i, dose = row.cells["cdk46i"], row.cells["cdk46i_start_dose_mg"]
    if not cdk46i or dose is None:
        return
    protocol = row.context.protocol
    drug = protocol.drug(cdk46i)
    if dose not in drug.dose_levels_mg:
        levels = " / ".join(f"{d} mg" for d in drug.dose_levels_mg)
        row.problem("cdk46i_start_dose_mg", f"Dose levels of {drug.name}: {levels}.")
    elif protocol.enrolment.fixed_starting_dose and dose != drug.starting_dose_mg:
        row.problem("cdk46i_start_dose_mg",
                    f"The protocol starts {drug.name} at {drug.starting_dose_mg} mg.")


def register(row, _subject):
    """A row without problem is a subject; the others' ids are rejected (their rows in the
    other files are then not checked)."""
    cells, context = row.cells, row.context
    if not row.clean:
        context.rejected.add(cells["subject_id"])
        return
    context.subjects[cells["subject_id"]] = Subject(
        row=row.number, site=cells["site"],
        number=int(SUBJECT_ID.match(cells["subject_id"])["number"]),
        subject_id=cells["subject_id"], sex=cells["sex"], birth_date=cells["birth_date"],
        consent_date=cells["consent_date"], consent_version=cells["consent_version"],
        day1=cells["day1"], cdk46i=cells["cdk46i"], dose=cells["cdk46i_start_dose_mg"],
        endocrine=cells["endocrine"], ovarian_suppression=cells["ovarian_suppression"])


def each_subjects_schedule(context, _source):
    for subject in context.subjects.values():
        subject.visits = schedule(context, subject)


SUBJECTS_FILE = FileSchema(
    SUBJECTS, required=True, per_subject=False,
    columns=(
        choice("site", _sites, required=True,
               invalid=lambda value, context: f"{value!r} is not a site of "
                                              f"{context.study.code}."),
        text("subject_id", required=True),
        choice("sex", lambda context: {str(s) for s in context.protocol.sexes}, required=True,
               invalid=lambda value, context: f"{value!r}: the protocol enrols "
               f"{' or '.join(sorted(str(s) for s in context.protocol.sexes))}."),
        date("birth_date", required=True),
        date("consent_date", required=True),
        choice("consent_version", lambda context: context.protocol.consent_versions,
               required=True,
               invalid=lambda value, context: f"Version {value!r} is not in use; use one of "
               f"{', '.join(context.protocol.consent_versions)}."),
        date("day1", required=True),
        choice("cdk46i", lambda context: set(context.protocol.enrolment.cdk46i_drugs),
               required=True),
        decimal("cdk46i_start_dose_mg", required=True),
        choice("endocrine", lambda context: set(context.protocol.enrolment.endocrine_drugs),
               required=True),
        boolean("ovarian_suppression"),
    ),
    prepare=_ids_taken,
    row_rules=(subject_id_is_new, consent_not_before_birth, day1_not_before_consent,
               dose_is_a_dose_level),
    keep=register,
    finish=(each_subjects_schedule,),
)
