"""The files of the import, one declaration each: columns (types, coded lists, required or
optional) and the rules of its rows, read by the loop of ``check.py``. Adding a file is adding
a declaration to ``SCHEMAS`` (see ``schema.py`` for the vocabulary).

The rules are the services' and the domain's own: registration, the eligibility engine, the
enrolment plan, the line rules, the adverse event and survival rules (docs/real-world-import.md).
Rules that need more than a row are steps declared with their file: a subject's schedule (the
file of subjects), one screening per subject and the engine's verdict (screening), the death
against every contact and the visit of each contact (follow-ups), the rules over all of a
patient's lines (lines of therapy).
"""

from __future__ import annotations

import re

from eligibility.domain.engine import Status, Verdict
from eligibility.domain.screening import (
    FILE_ONLY_VARIABLES,
    REGISTRATION_VARIABLES,
    canonical,
    evaluate_stored,
    with_registration,
)
from eligibility.models import Screening
from enrollment.models import Patient
from outcomes.models import CollectedItem, Comorbidity, LineResponse, StopReason, TreatmentLine
from outcomes.realworld.domain import lines as line_rules
from outcomes.realworld.importer.schedule import schedule, visit_for
from outcomes.realworld.importer.schema import (
    FileSchema,
    Subject,
    boolean,
    choice,
    date,
    decimal,
    integer,
    keep_row,
    no_problem_yet,
    once_per_subject,
    other_needs_details,
    text,
    variable,
)
from trialsite.models import Site
from visits.crf.models import AdverseEvent, Relation, SurvivalStatus

SUBJECTS, SCREENING, LINES, TOXICITIES, FOLLOW_UPS = (
    "subjects.csv", "screening.csv", "treatment_lines.csv", "toxicities.csv", "follow_ups.csv")
COMORBIDITIES, ITEMS = "comorbidities.csv", "collected_items.csv"


# --- subjects.csv: registration and enrolment -------------------------------------------------

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


# --- screening.csv: the eligibility engine's verdict -------------------------------------------


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


# --- follow_ups.csv: survival contacts ----------------------------------------------------------


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


# --- treatment_lines.csv: lines of therapy -------------------------------------------------------

#: Separator of the drug codes of a regimen in ``treatment_lines.csv``.
DRUG_SEPARATOR = "+"
#: The line rules' field -> the file's column.
LINE_COLUMNS = {"number": "line_number", "drugs": "drugs", "start_date": "start_date",
                "stop_date": "stop_date", "stop_reason": "stop_reason"}


def treatment_line(row):
    cells = row.cells
    drugs = [d.strip() for d in cells["drugs"].split(DRUG_SEPARATOR) if d.strip()]
    return TreatmentLine(number=cells["line_number"], drugs=drugs,
                         other_regimen=cells["other_regimen"], start_date=cells["start_date"],
                         stop_date=cells["stop_date"],
                         best_response=cells["best_response"] or LineResponse.NOT_ASSESSED,
                         stop_reason=cells["stop_reason"] or "",
                         stop_reason_other=cells["stop_reason_other"])


def each_patients_lines(context, _source):
    """``lines.check_lines`` over all of a patient's lines: numbered 1, 2, 3…, line 1 the
    CDK4/6 inhibitor with endocrine therapy from day 1, no overlaps, nothing after the death
    or the last contact."""
    real_world = context.protocol.real_world
    drug_classes = {code: str(context.protocol.drug(code).drug_class)
                    for code in real_world.line_drugs}
    for subject in context.subjects.values():
        rows = subject.rows(LINES)
        if not rows:
            continue
        lines = [line_rules.Line(number=r.record.number, drugs=tuple(r.record.drugs),
                                 start=r.record.start_date, stop=r.record.stop_date,
                                 stop_reason=r.record.stop_reason,
                                 other_regimen=r.record.other_regimen) for r in rows]
        rules = line_rules.Context(
            drug_classes=drug_classes, first_line_classes=real_world.first_line_classes,
            day1=subject.day1, death_date=subject.death[0] if subject.death else None,
            last_contact=last_contact(subject))
        row_of = {line.number: row.number for row, line in zip(rows, lines, strict=True)}
        for p in line_rules.check_lines(lines, rules):
            context.problem(LINES, row_of.get(p.line, rows[0].number),
                            LINE_COLUMNS.get(p.field, p.field), p.message)


LINES_FILE = FileSchema(
    LINES, real_world=True, after=(FOLLOW_UPS,),
    columns=(
        integer("line_number", 1, 99, required=True,
                invalid=lambda value, context: f"{value!r} is not a line number (1, 2…)."),
        text("drugs", in_header=True),
        text("other_regimen"),
        date("start_date", required=True),
        date("stop_date"),
        choice("best_response", set(LineResponse.values)),
        choice("stop_reason", set(StopReason.values)),
        text("stop_reason_other"),
    ),
    row_rules=(other_needs_details("stop_reason", StopReason.OTHER, "stop_reason_other",
                                   "Say what the other reason was."),),
    record=treatment_line, clean_record=False,
    finish=(each_patients_lines,),
    model=TreatmentLine, saving="lines of therapy",
)


# --- toxicities.csv: adverse events ------------------------------------------------------------

SAE_COLUMNS = tuple(f.name for f in AdverseEvent._meta.fields if f.name.startswith("sae_"))
RELATIONS = ("relation_cdk46i", "relation_endocrine", "relation_ovarian_suppression")


def adverse_event(row):
    cells = row.cells
    return AdverseEvent(term=cells["term"], grade=cells["grade"], start_date=cells["start_date"],
                        end_date=cells["end_date"], serious=cells["serious"],
                        **{name: cells[name] for name in SAE_COLUMNS},
                        **{name: cells[name] or "" for name in RELATIONS},
                        action_taken=cells["action_taken"], outcome=cells["outcome"])


def ovarian_suppression_relation(row, subject):
    """The relation to ovarian suppression is given exactly when the enrolment has it."""
    related = row.record.relation_ovarian_suppression
    if subject.ovarian_suppression is False and related:
        row.problem("relation_ovarian_suppression", "The patient has no ovarian suppression.")
    elif subject.ovarian_suppression and not related:
        row.problem("relation_ovarian_suppression", "Give the relation to ovarian suppression.")


def within_the_patients_follow_up(row, subject):
    """Not after the death, not before day 1."""
    start = row.record.start_date
    if subject.death and start > subject.death[0]:
        row.problem("start_date", f"{start:%Y-%m-%d} is after the death "
                                  f"({subject.death[0]:%Y-%m-%d}).")
    if start < subject.day1:
        row.problem("start_date", f"{start:%Y-%m-%d} is before day 1 "
                                  f"({subject.day1:%Y-%m-%d}).")


def at_its_visit(row, subject):
    """The visit collecting adverse events it is reported at (given, or the nearest)."""
    visit = visit_for(row, subject, row.cells["visit_code"], AdverseEvent.FORM_CODE,
                      row.record.start_date)
    if visit is None:
        return False
    row.record.visit = visit
    return True


TOXICITIES_FILE = FileSchema(
    TOXICITIES, after=(FOLLOW_UPS,),
    columns=(
        text("visit_code"),
        text("term", in_header=True),
        choice("grade", {str(g): g for g in range(1, 6)}, required=True,
               invalid=lambda value, context: f"{value!r} is not a CTCAE grade (1 to 5)."),
        date("start_date", required=True),
        date("end_date"),
        *(boolean(name) for name in SAE_COLUMNS),
        boolean("serious", default=None, in_header=True),
        choice("relation_cdk46i", set(Relation.values), required=True),
        choice("relation_endocrine", set(Relation.values), required=True),
        choice("relation_ovarian_suppression", set(Relation.values)),
        choice("action_taken", set(AdverseEvent.Action.values), required=True),
        choice("outcome", set(AdverseEvent.Outcome.values), required=True),
    ),
    record=adverse_event,
    steps=(ovarian_suppression_relation, within_the_patients_follow_up, no_problem_yet,
           at_its_visit),
    model=AdverseEvent, saving="adverse events",
)


# --- comorbidities.csv and collected_items.csv: the real-world plan's coded lists ---------------


COMORBIDITIES_FILE = FileSchema(
    COMORBIDITIES, real_world=True,
    columns=(
        choice("comorbidity", lambda context: {c.code for c in
                                               context.protocol.real_world.comorbidities},
               required=True),
        text("details"),
    ),
    row_rules=(other_needs_details("comorbidity", "OTHER", "details",
                                   "Say which comorbidity."),),
    record=lambda row: Comorbidity(code=row.cells["comorbidity"] or "",
                                   details=row.cells["details"]),
    steps=(once_per_subject("comorbidity", lambda context, code:
                            context.protocol.real_world.comorbidity(code).label),),
    model=Comorbidity, saving="comorbidities",
)

ITEMS_FILE = FileSchema(
    ITEMS, real_world=True,
    columns=(
        choice("item", lambda context: {c.code for c in
                                        context.protocol.real_world.collected_items},
               required=True),
        date("collected_on", required=True),
        text("storage_reference", required=True),
        boolean("consent_for_use", default=None, required=True,
                missing="Required: 1 if the patient consented to its use, 0 if not."),
    ),
    record=lambda row: CollectedItem(kind=row.cells["item"] or "",
                                     collected_on=row.cells["collected_on"],
                                     storage_reference=row.cells["storage_reference"],
                                     consent_for_use=bool(row.cells["consent_for_use"])),
    steps=(once_per_subject("item", lambda context, code:
                            context.protocol.real_world.collected_item(code).label),),
    model=CollectedItem, saving="collected items",
)


#: Every file of the import, in the order the page lists them.
SCHEMAS = (SUBJECTS_FILE, SCREENING_FILE, LINES_FILE, TOXICITIES_FILE, FOLLOW_UPS_FILE,
           COMORBIDITIES_FILE, ITEMS_FILE)
FILES = tuple(schema.name for schema in SCHEMAS)
REQUIRED_FILES = tuple(schema.name for schema in SCHEMAS if schema.required)
#: Files of what only a study with a real-world plan collects.
REAL_WORLD_FILES = tuple(schema.name for schema in SCHEMAS if schema.real_world)
