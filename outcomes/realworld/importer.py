"""Retrospective import of real-world data: CSV files in, every problem or every record out.

load → check → persist. ``check`` reads every row of every file and applies the rules the
services and the domain apply (registration, eligibility engine, enrolment plan, line rules,
adverse event and survival rules); it returns every problem as (file, row, column, message).
Only when there is none does ``persist`` write, in one transaction, with bulk writes that keep
each record's history row (``bulk_create_audited``): the history user is the importing data
manager and the reason ``Imported from <file> sha256:<hex>`` of the file the record came from.

What an import creates is what the services would leave for the same patient, in its final
state: the patient (status enrolled, or off study after a death), the screening with its
computed verdict, the enrolment, the visit schedule of ``visits.domain.schedule`` (visits
after a death cancelled), lines of therapy, adverse events and survival contacts on their
visits, with the visits' entered forms and status as the form services set them. Each record
gets one history row (its creation, by the import), not the steps a page would have taken.

Eligibility of an imported patient is the engine's verdict on the imported values (it must be
ELIGIBLE); no investigator signature is invented: the screening is stored unconfirmed and the
enrolment's history says it came from the import. See docs/real-world-import.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from eligibility.domain.engine import Status, Verdict
from eligibility.domain.screening import (
    FILE_ONLY_VARIABLES,
    REGISTRATION_VARIABLES,
    canonical,
    evaluate_stored,
    with_registration,
)
from eligibility.domain.variables import InvalidValue, parse_value
from eligibility.models import Screening
from enrollment.domain.lifecycle import PatientStatus
from enrollment.models import Enrolment, Patient
from outcomes.models import (
    CollectedItem,
    Comorbidity,
    LineResponse,
    StopReason,
    TreatmentLine,
)
from outcomes.realworld.domain import lines as line_rules
from trialsite import access
from trialsite.audit import bulk_create_audited
from trialsite.models import Role, Site
from visits.crf.models import VISIT_RECORDS, AdverseEvent, Relation, SurvivalStatus
from visits.crf.selectors import site_today
from visits.domain.schedule import horizon, is_retrospective, plan
from visits.models import Visit

SUBJECTS, SCREENING, LINES, TOXICITIES, FOLLOW_UPS = (
    "subjects.csv", "screening.csv", "treatment_lines.csv", "toxicities.csv", "follow_ups.csv")
COMORBIDITIES, ITEMS = "comorbidities.csv", "collected_items.csv"
FILES = (SUBJECTS, SCREENING, LINES, TOXICITIES, FOLLOW_UPS, COMORBIDITIES, ITEMS)
#: Files of what only a study with a real-world plan collects.
REAL_WORLD_FILES = (LINES, COMORBIDITIES, ITEMS)
REQUIRED_FILES = (SUBJECTS, SCREENING)

#: Columns of each file (export variable names); (required columns, optional columns).
SAE_COLUMNS = tuple(f.name for f in AdverseEvent._meta.fields if f.name.startswith("sae_"))
COLUMNS = {
    SUBJECTS: (("site", "subject_id", "sex", "birth_date", "consent_date", "consent_version",
                "day1", "cdk46i", "cdk46i_start_dose_mg", "endocrine"),
               ("study", "ovarian_suppression")),
    SCREENING: (("subject_id",), ("study", "site")),  # + the protocol's screening variables
    LINES: (("subject_id", "line_number", "drugs", "start_date"),
            ("study", "site", "other_regimen", "stop_date", "best_response", "stop_reason",
             "stop_reason_other")),
    TOXICITIES: (("subject_id", "term", "grade", "start_date", "serious", "relation_cdk46i",
                  "relation_endocrine", "action_taken", "outcome"),
                 ("study", "site", "visit_code", "end_date", *SAE_COLUMNS,
                  "relation_ovarian_suppression")),
    FOLLOW_UPS: (("subject_id", "last_contact_date", "vital_status"),
                 ("study", "site", "visit_code", "death_date", "death_cause",
                  "death_cause_other")),
    COMORBIDITIES: (("subject_id", "comorbidity"), ("study", "site", "details")),
    ITEMS: (("subject_id", "item", "collected_on", "storage_reference", "consent_for_use"),
            ("study", "site")),
}
#: Separator of the drug codes of a regimen in ``treatment_lines.csv``.
DRUG_SEPARATOR = "+"
YES, NO = frozenset({"1", "y", "yes", "true"}), frozenset({"0", "n", "no", "false", ""})


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    row: int  # line of the file: 1 is the header, 2 the first data row
    column: str
    message: str

    def as_dict(self):
        return {"file": self.file, "row": self.row, "column": self.column,
                "message": self.message}


class ImportRefused(Exception):
    """The files have problems: nothing was saved."""

    def __init__(self, problems):
        self.problems = sorted(problems)
        super().__init__(f"{len(self.problems)} problem(s); nothing was imported.")


@dataclass
class SourceFile:
    name: str
    sha256: str
    rows: list  # (row number, {column: text})
    header: tuple

    @property
    def reason(self):
        return f"Imported from {self.name} sha256:{self.sha256}"


def read_file(name, content):
    """Parse one CSV file (bytes, UTF-8 with or without BOM) into a ``SourceFile``."""
    if isinstance(content, str):
        content = content.encode()
    digest = hashlib.sha256(content).hexdigest()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused([Problem(name, 0, "", f"Not UTF-8 text ({exc.reason}).")]) from None
    if "\x00" in text:
        raise ImportRefused([Problem(name, 0, "", "The file holds NUL bytes: not a CSV file.")])
    reader = csv.reader(io.StringIO(text, newline=""))
    header = tuple(h.strip() for h in next(reader, ()))
    rows = []
    for number, cells in enumerate(reader, 2):
        if not any(c.strip() for c in cells):
            continue
        rows.append((number, {h: (cells[i].strip() if i < len(cells) else "")
                              for i, h in enumerate(header)}))
    return SourceFile(name, digest, rows, header)


# --- checking ----------------------------------------------------------------------------------


@dataclass
class _Subject:
    row: int
    site: object
    number: int
    subject_id: str
    sex: str
    birth_date: date
    consent_date: date
    consent_version: str
    day1: date
    cdk46i: str
    dose: Decimal
    endocrine: str
    ovarian_suppression: bool
    screening: dict | None = None
    evaluation: object = None
    lines: list = field(default_factory=list)
    toxicities: list = field(default_factory=list)
    follow_ups: list = field(default_factory=list)
    death: tuple | None = None  # (date, cause)
    visits: list = field(default_factory=list)
    comorbidities: list = field(default_factory=list)
    items: list = field(default_factory=list)


class _Checker:
    def __init__(self, study, sources, today):
        self.study = study
        self.protocol = study.protocol
        self.sources = sources
        self.today = today
        self.problems = []
        self.subjects = {}
        #: Subject ids of subjects.csv rows with problems: other files' rows about them are
        #: left unchecked rather than reported again as unknown subjects.
        self.rejected = set()

    def problem(self, file, row, column, message):
        self.problems.append(Problem(file, row, column, message))

    # cells ---------------------------------------------------------------------------------

    def text(self, file, row, values, column, required=False):
        value = values.get(column, "")
        if required and not value:
            self.problem(file, row, column, "Required: the cell is empty.")
        return value

    def date(self, file, row, values, column, required=False, not_future=True):
        value = self.text(file, row, values, column, required)
        if not value:
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            self.problem(file, row, column, f"{value!r} is not a date (expected YYYY-MM-DD).")
            return None
        if len(value) != 10:
            self.problem(file, row, column, f"{value!r} is not a date (expected YYYY-MM-DD).")
            return None
        if not_future and day > self.today:
            self.problem(file, row, column, f"{value} is in the future.")
            return None
        return day

    def boolean(self, file, row, values, column, default=False):
        value = values.get(column, "").lower()
        if value in YES:
            return True
        if value in NO:
            return default if value == "" else False
        self.problem(file, row, column, f"{values[column]!r} is not yes/no (1 or 0).")
        return None

    def choice(self, file, row, values, column, choices, required=True):
        value = self.text(file, row, values, column, required)
        if value and value not in choices:
            self.problem(file, row, column,
                         f"{value!r} is not one of {', '.join(sorted(choices))}.")
            return None
        return value

    def subject_of(self, file, row, values):
        subject_id = values.get("subject_id", "")
        subject = self.subjects.get(subject_id)
        if subject is None and subject_id in self.rejected:
            return None
        if subject is None:
            if subject_id:
                self.problem(file, row, "subject_id",
                             f"{subject_id} is not a valid subject of {SUBJECTS}.")
            else:
                self.problem(file, row, "subject_id", "Required: the cell is empty.")
        elif values.get("site") and values["site"] != subject.site.code:
            self.problem(file, row, "site", f"{subject_id} is at {subject.site.code}.")
        return subject

    # files ---------------------------------------------------------------------------------

    def check_header(self, source, extra=()):
        required, optional = COLUMNS[source.name]
        known = {*required, *optional, *extra}
        for column in required:
            if column not in source.header:
                self.problem(source.name, 1, column, "Required column missing.")
        for column in source.header:
            if column not in known:
                self.problem(source.name, 1, column, "Unknown column.")
        seen = set()
        for column in source.header:
            if column in seen:
                self.problem(source.name, 1, column, "Column given twice.")
            seen.add(column)
        return all(c in source.header for c in required)

    def check_study(self, source, row, values):
        if values.get("study") and values["study"] != self.study.code:
            self.problem(source.name, row, "study", f"This import is for {self.study.code}.")

    def run(self):
        for name in REQUIRED_FILES:
            if name not in self.sources:
                self.problem(name, 0, "", "Required file missing.")
        if self.protocol.real_world is None:
            for name in REAL_WORLD_FILES:
                if name in self.sources:
                    self.problem(name, 0, "", f"{self.study.code} does not collect real-world "
                                              "data: leave this file out.")
        if self.problems:
            return
        self.check_subjects(self.sources[SUBJECTS])
        if any(p.file == SUBJECTS and p.message == "Required column missing."
               for p in self.problems):
            return  # without its columns no subject is known: the other files would only echo
        self.check_screening(self.sources[SCREENING])
        if FOLLOW_UPS in self.sources:
            self.check_follow_ups(self.sources[FOLLOW_UPS])
        for subject in self.subjects.values():
            subject.visits = self.schedule(subject)
        self.assign_follow_up_visits()
        if LINES in self.sources:
            self.check_lines(self.sources[LINES])
        if TOXICITIES in self.sources:
            self.check_toxicities(self.sources[TOXICITIES])
        if COMORBIDITIES in self.sources:
            self.check_comorbidities(self.sources[COMORBIDITIES])
        if ITEMS in self.sources:
            self.check_items(self.sources[ITEMS])

    def check_subjects(self, source):
        if not self.check_header(source):
            return
        sites = {s.code: s for s in Site.objects.filter(study=self.study)}
        pattern = re.compile(r"^(?P<site>[A-Z0-9]+)-(?P<number>\d{3,})$")
        ids = [values.get("subject_id", "") for _, values in source.rows]
        taken = set(Patient.objects.filter(subject_id__in=ids).values_list("subject_id",
                                                                               flat=True))
        numbers_taken = set(Patient.objects.filter(site__study=self.study)
                            .values_list("site__code", "subject_number"))
        plan_ = self.protocol.enrolment
        sexes = {str(s) for s in self.protocol.sexes}
        for row, values in source.rows:
            f = source.name
            self.check_study(source, row, values)
            before = len(self.problems)
            site = sites.get(values.get("site", ""))
            if site is None:
                self.problem(f, row, "site", f"{values.get('site')!r} is not a site of "
                                             f"{self.study.code}." if values.get("site")
                             else "Required: the cell is empty.")
            subject_id = self.text(f, row, values, "subject_id", required=True)
            number = None
            match = pattern.match(subject_id)
            if subject_id and match is None:
                self.problem(f, row, "subject_id",
                             f"{subject_id!r} is not a subject id (<SITE>-NNN).")
            elif match and site is not None and match["site"] != site.code:
                self.problem(f, row, "subject_id", f"{subject_id} does not belong to site "
                                                   f"{site.code}.")
            elif match:
                number = int(match["number"])
                if number == 0:
                    self.problem(f, row, "subject_id", "Subject numbers start at 001.")
                elif subject_id in taken or (match["site"], number) in numbers_taken:
                    self.problem(f, row, "subject_id",
                                 f"{subject_id} is already used (subject ids are never "
                                 "reused): was this file imported before?")
                elif subject_id in self.subjects:
                    self.problem(f, row, "subject_id", f"{subject_id} is given twice "
                                                       f"(row {self.subjects[subject_id].row}).")
            sex = self.text(f, row, values, "sex", required=True)
            if sex and sex not in sexes:
                self.problem(f, row, "sex", f"{sex!r}: the protocol enrols "
                                            f"{' or '.join(sorted(sexes))}.")
            birth = self.date(f, row, values, "birth_date", required=True)
            consent = self.date(f, row, values, "consent_date", required=True)
            if birth and consent and consent < birth:
                self.problem(f, row, "consent_date", "Consent cannot be dated before birth.")
            version = self.text(f, row, values, "consent_version", required=True)
            if version and version not in self.protocol.consent_versions:
                self.problem(f, row, "consent_version",
                             f"Version {version!r} is not in use; use one of "
                             f"{', '.join(self.protocol.consent_versions)}.")
            day1 = self.date(f, row, values, "day1", required=True)
            if (day1 and consent and plan_.day1_on_or_after_consent and day1 < consent):
                self.problem(f, row, "day1", "Day 1 cannot be before informed consent.")
            cdk46i = self.choice(f, row, values, "cdk46i", set(plan_.cdk46i_drugs))
            dose = None
            raw = self.text(f, row, values, "cdk46i_start_dose_mg", required=True)
            if raw:
                try:
                    dose = Decimal(raw)
                except InvalidOperation:
                    self.problem(f, row, "cdk46i_start_dose_mg", f"{raw!r} is not a number.")
            if cdk46i and dose is not None:
                drug = self.protocol.drug(cdk46i)
                if dose not in drug.dose_levels_mg:
                    levels = " / ".join(f"{d} mg" for d in drug.dose_levels_mg)
                    self.problem(f, row, "cdk46i_start_dose_mg",
                                 f"Dose levels of {drug.name}: {levels}.")
                elif plan_.fixed_starting_dose and dose != drug.starting_dose_mg:
                    self.problem(f, row, "cdk46i_start_dose_mg",
                                 f"The protocol starts {drug.name} at {drug.starting_dose_mg} mg.")
            endocrine = self.choice(f, row, values, "endocrine", set(plan_.endocrine_drugs))
            ofs = self.boolean(f, row, values, "ovarian_suppression")
            if len(self.problems) != before:
                self.rejected.add(subject_id)
            elif subject_id not in self.subjects:
                self.subjects[subject_id] = _Subject(
                    row, site, number, subject_id, sex, birth, consent, version, day1, cdk46i,
                    dose, endocrine, ofs)

    def check_screening(self, source):
        variables = {v.name: v for v in self.protocol.eligibility_variables
                     if v.name not in FILE_ONLY_VARIABLES}
        if not self.check_header(source, extra=variables):
            return
        day1_variable = self.protocol.enrolment.day1_variable
        for row, values in source.rows:
            f = source.name
            self.check_study(source, row, values)
            subject = self.subject_of(f, row, values)
            parsed, bad = {}, False
            for name, variable in variables.items():
                try:
                    value = parse_value(variable, values.get(name) or None)
                except InvalidValue as exc:
                    self.problem(f, row, name, exc.message if hasattr(exc, "message")
                                 else str(exc))
                    bad = True
                    continue
                if value is not None:
                    parsed[name] = canonical(value)
            if subject is None or bad:
                continue
            if subject.screening is not None:
                self.problem(f, row, "subject_id", f"{subject.subject_id} has a screening "
                                                   "already (one row per subject).")
                continue
            registration = with_registration({}, sex=subject.sex, birth_date=subject.birth_date,
                                             consent_date=subject.consent_date)
            for name in REGISTRATION_VARIABLES:
                if name in parsed and parsed[name] != registration[name]:
                    self.problem(f, row, name, f"{parsed[name]} differs from {SUBJECTS} "
                                               f"({registration[name]}).")
            stored = with_registration(parsed, sex=subject.sex, birth_date=subject.birth_date,
                                       consent_date=subject.consent_date)
            evaluation = evaluate_stored(self.protocol.eligibility_variables,
                                         self.protocol.criteria, stored)
            if evaluation.verdict != Verdict.ELIGIBLE:
                for result in evaluation.results:
                    if result.status is Status.MISSING:
                        for name in result.missing:
                            self.problem(f, row, name, f"Required by {result.code}: the cell "
                                                       "is empty.")
                    elif result.status is Status.NOT_MET:
                        self.problem(f, row, "", f"Not eligible: {result.code} "
                                                 f"({result.reason}).")
                continue
            if stored.get(day1_variable) != canonical(subject.day1):
                self.problem(f, row, day1_variable,
                             f"{stored.get(day1_variable)} differs from day1 in {SUBJECTS} "
                             f"({subject.day1:%Y-%m-%d}): day 1 is this screening date.")
                continue
            subject.screening = stored
            subject.evaluation = evaluation
        screened = {values.get("subject_id") for _, values in source.rows}
        for subject in self.subjects.values():
            if subject.subject_id not in screened:
                self.problem(SUBJECTS, subject.row, "subject_id",
                             f"{subject.subject_id} has no row in {SCREENING}.")

    def check_follow_ups(self, source):
        if not self.check_header(source):
            return
        vital = set(SurvivalStatus.VitalStatus.values)
        f = source.name
        for row, values, subject, before in self.rows_of(source):
            contact = self.date(f, row, values, "last_contact_date", required=True)
            status = self.choice(f, row, values, "vital_status", vital)
            death = self.date(f, row, values, "death_date")
            cause = self.choice(f, row, values, "death_cause",
                                set(SurvivalStatus.Cause.values), required=False)
            record = SurvivalStatus(last_contact_date=contact, vital_status=status or "",
                                    death_date=death, death_cause=cause or "",
                                    death_cause_other=values.get("death_cause_other", ""))
            if len(self.problems) == before:
                self._model_rules(f, row, record, {"visit"})
            if subject is None or len(self.problems) != before:
                continue
            for name, when in (("last_contact_date", contact), ("death_date", death)):
                if when and when < subject.consent_date:
                    self.problem(f, row, name, f"The date is before the patient's consent "
                                               f"({subject.consent_date:%Y-%m-%d}).")
            if status == SurvivalStatus.VitalStatus.DEAD:
                if subject.death and subject.death[0] != death:
                    self.problem(f, row, "death_date",
                                 f"Another row gives death on {subject.death[0]:%Y-%m-%d}.")
                subject.death = subject.death or (death, cause)
            subject.follow_ups.append((row, values.get("visit_code", ""), record))
        for subject in self.subjects.values():
            if subject.death is None:
                continue
            death = subject.death[0]
            for row, _, record in subject.follow_ups:
                if record.vital_status == SurvivalStatus.VitalStatus.ALIVE and (
                        record.last_contact_date > death):
                    self.problem(FOLLOW_UPS, row, "vital_status",
                                 f"Alive on {record.last_contact_date:%Y-%m-%d}, after the "
                                 f"death on {death:%Y-%m-%d}.")

    def schedule(self, subject):
        """The visits the enrolment service would create today (``schedule_create``)."""
        schedule = self.protocol.schedule
        visits = []
        for planned in plan(schedule, subject.day1, horizon(schedule, self.today)):
            screened = not schedule.retrospective_entry and planned.window_end < subject.day1
            visit = Visit(
                code=planned.code, label=planned.label, kind=planned.kind,
                target_date=planned.target_date, window_start=planned.window_start,
                window_end=planned.window_end,
                retrospective=is_retrospective(schedule, planned, self.today),
                forms=list(planned.forms), required_forms=list(planned.required_forms),
                samples=list(planned.samples), assessments=list(planned.assessments),
            )
            if screened:
                visit.status = Visit.Status.COMPLETED
                visit.status_reason = "Done as the eligibility screening"
            visits.append(visit)
        return visits

    def visit_for(self, file, row, subject, code, form_code, when):
        """The visit a record is reported at: ``code`` if given, else the visit collecting
        ``form_code`` whose target date is nearest ``when`` (and not after a death)."""
        death = subject.death[0] if subject.death else None
        candidates = [v for v in subject.visits if form_code in v.forms]
        if code:
            visit = next((v for v in subject.visits if v.code == code), None)
            if visit is None:
                self.problem(file, row, "visit_code", f"{subject.subject_id} has no visit "
                                                      f"{code} (the schedule from day 1).")
            elif form_code not in visit.forms:
                self.problem(file, row, "visit_code", f"Visit {code} does not collect "
                                                      f"{form_code.replace('_', ' ')}.")
                visit = None
            return visit
        # After a death, a visit whose window opened later is cancelled unless it holds data;
        # a record of a patient who died before any such window goes to the first one, as
        # when it was entered before the death was recorded.
        usable = [v for v in candidates if death is None or v.window_start <= death]
        usable = usable or candidates[:1]
        if not usable:
            self.problem(file, row, "visit_code", "No visit of the schedule collects this: "
                                                  "give visit_code.")
            return None
        return min(usable, key=lambda v: (abs((v.target_date - when).days), v.target_date))

    def assign_follow_up_visits(self):
        for subject in self.subjects.values():
            used = {}
            for row, code, record in subject.follow_ups:
                visit = self.visit_for(FOLLOW_UPS, row, subject, code,
                                       SurvivalStatus.FORM_CODE, record.last_contact_date)
                if visit is None:
                    continue
                if visit.code in used:
                    self.problem(FOLLOW_UPS, row, "visit_code",
                                 f"Visit {visit.code} already has the follow-up of row "
                                 f"{used[visit.code]} (one per visit): give visit_code.")
                    continue
                used[visit.code] = row
                record.visit = visit

    def last_contact(self, subject):
        dates = [subject.consent_date, subject.death[0] if subject.death else None]
        dates += [r.last_contact_date for _, _, r in subject.follow_ups]
        return max(d for d in dates if d is not None)

    def check_lines(self, source):
        if not self.check_header(source):
            return
        real_world = self.protocol.real_world
        if real_world is None:
            self.problem(source.name, 0, "", f"{self.study.code} collects no lines of therapy.")
            return
        drug_classes = {code: str(self.protocol.drug(code).drug_class)
                        for code in real_world.line_drugs}
        by_subject = defaultdict(list)
        f = source.name
        for row, values, subject, before in self.rows_of(source):
            raw = self.text(f, row, values, "line_number", required=True)
            number = None
            if raw:
                if raw.isdigit() and 0 < int(raw) < 100:
                    number = int(raw)
                else:
                    self.problem(f, row, "line_number", f"{raw!r} is not a line number (1, 2…).")
            drugs = tuple(d.strip() for d in values.get("drugs", "").split(DRUG_SEPARATOR)
                          if d.strip())
            start = self.date(f, row, values, "start_date", required=True)
            stop = self.date(f, row, values, "stop_date")
            response = self.choice(f, row, values, "best_response", set(LineResponse.values),
                                   required=False) or LineResponse.NOT_ASSESSED
            reason = self.choice(f, row, values, "stop_reason", set(StopReason.values),
                                 required=False) or ""
            other = values.get("stop_reason_other", "")
            if reason == StopReason.OTHER and not other:
                self.problem(f, row, "stop_reason_other", "Say what the other reason was.")
            if subject is None or len(self.problems) != before:
                continue
            by_subject[subject.subject_id].append((row, line_rules.Line(
                number=number, drugs=drugs, start=start, stop=stop, stop_reason=reason,
                other_regimen=values.get("other_regimen", "")), response, other))
        columns = {"number": "line_number", "drugs": "drugs", "start_date": "start_date",
                   "stop_date": "stop_date", "stop_reason": "stop_reason"}
        for subject_id, rows in by_subject.items():
            subject = self.subjects[subject_id]
            context = line_rules.Context(
                drug_classes=drug_classes, first_line_classes=real_world.first_line_classes,
                day1=subject.day1, death_date=subject.death[0] if subject.death else None,
                last_contact=self.last_contact(subject))
            problems = line_rules.check_lines([line for _, line, _, _ in rows], context)
            row_of = {line.number: row for row, line, _, _ in rows}
            for p in problems:
                self.problem(LINES, row_of.get(p.line, rows[0][0]),
                             columns.get(p.field, p.field), p.message)
            subject.lines = rows

    def check_toxicities(self, source):
        if not self.check_header(source):
            return
        relations = set(Relation.values)
        f = source.name
        for row, values, subject, before in self.rows_of(source):
            raw = self.text(f, row, values, "grade", required=True)
            grade = None
            if raw:
                if raw in {"1", "2", "3", "4", "5"}:
                    grade = int(raw)
                else:
                    self.problem(f, row, "grade", f"{raw!r} is not a CTCAE grade (1 to 5).")
            start = self.date(f, row, values, "start_date", required=True)
            end = self.date(f, row, values, "end_date")
            flags = {name: self.boolean(f, row, values, name) for name in SAE_COLUMNS}
            serious = self.boolean(f, row, values, "serious", default=None)
            relation = {name: self.choice(f, row, values, name, relations,
                                          required=name != "relation_ovarian_suppression")
                        for name in ("relation_cdk46i", "relation_endocrine",
                                     "relation_ovarian_suppression")}
            action = self.choice(f, row, values, "action_taken",
                                 set(AdverseEvent.Action.values))
            outcome = self.choice(f, row, values, "outcome", set(AdverseEvent.Outcome.values))
            if len(self.problems) != before:
                continue
            event = AdverseEvent(term=values.get("term", ""), grade=grade, start_date=start,
                                 end_date=end, serious=serious, **flags,
                                 **{k: v or "" for k, v in relation.items()},
                                 action_taken=action, outcome=outcome)
            self._model_rules(f, row, event, {"patient", "visit"})
            if subject is None or len(self.problems) != before:
                continue
            if subject.ovarian_suppression is False and event.relation_ovarian_suppression:
                self.problem(f, row, "relation_ovarian_suppression",
                             "The patient has no ovarian suppression.")
            elif subject.ovarian_suppression and not event.relation_ovarian_suppression:
                self.problem(f, row, "relation_ovarian_suppression",
                             "Give the relation to ovarian suppression.")
            if subject.death and start > subject.death[0]:
                self.problem(f, row, "start_date", f"{start:%Y-%m-%d} is after the death "
                                                   f"({subject.death[0]:%Y-%m-%d}).")
            if start < subject.day1:
                self.problem(f, row, "start_date", f"{start:%Y-%m-%d} is before day 1 "
                                                   f"({subject.day1:%Y-%m-%d}).")
            if len(self.problems) != before:
                continue
            visit = self.visit_for(f, row, subject, values.get("visit_code", ""),
                                   AdverseEvent.FORM_CODE, start)
            if visit is not None:
                event.visit = visit
                subject.toxicities.append(event)

    def rows_of(self, source):
        """Each row with its subject (None when unknown) and the number of problems so far."""
        for row, values in source.rows:
            self.check_study(source, row, values)
            subject = self.subject_of(source.name, row, values)
            yield row, values, subject, len(self.problems)

    def _once(self, seen, file, row, column, key, what):
        """Whether ``key`` (subject, code) is new; a second row for it is a problem."""
        if key in seen:
            self.problem(file, row, column, f"{what} is given twice for {key[0]} (row "
                                            f"{seen[key]}).")
            return False
        seen[key] = row
        return True

    def check_comorbidities(self, source):
        if not self.check_header(source):
            return
        plan, seen = self.protocol.real_world, {}
        codes = {c.code for c in plan.comorbidities}
        f = source.name
        for row, values, subject, before in self.rows_of(source):
            code = self.choice(f, row, values, "comorbidity", codes)
            details = values.get("details", "")
            if code == "OTHER" and not details:
                self.problem(f, row, "details", "Say which comorbidity.")
            record = Comorbidity(code=code or "", details=details)
            if len(self.problems) == before:
                self._model_rules(f, row, record, {"patient"})
            if subject is None or len(self.problems) != before:
                continue
            label = plan.comorbidity(code).label
            if self._once(seen, f, row, "comorbidity", (subject.subject_id, code), label):
                subject.comorbidities.append(record)

    def check_items(self, source):
        if not self.check_header(source):
            return
        plan, seen = self.protocol.real_world, {}
        kinds = {c.code for c in plan.collected_items}
        f = source.name
        for row, values, subject, before in self.rows_of(source):
            kind = self.choice(f, row, values, "item", kinds)
            collected = self.date(f, row, values, "collected_on", required=True)
            reference = self.text(f, row, values, "storage_reference", required=True)
            consent = self.boolean(f, row, values, "consent_for_use", default=None)
            if consent is None and not values.get("consent_for_use"):
                self.problem(f, row, "consent_for_use", "Required: 1 if the patient consented "
                                                        "to its use, 0 if not.")
            record = CollectedItem(kind=kind or "", collected_on=collected,
                                   storage_reference=reference, consent_for_use=bool(consent))
            if len(self.problems) == before:
                self._model_rules(f, row, record, {"patient"})
            if subject is None or len(self.problems) != before:
                continue
            label = plan.collected_item(kind).label
            if self._once(seen, f, row, "item", (subject.subject_id, kind), label):
                subject.items.append(record)

    def _model_rules(self, file, row, record, exclude):
        """The model's own rules (field validators and ``clean``), as the forms apply them;
        the database constraints they mirror are enforced again by the insert."""
        try:
            record.clean_fields(exclude=exclude)
            record.clean()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    self.problem(file, row, "" if name == "__all__" else name, message)


def check(*, study, sources, today):
    """Every problem of ``sources`` ({file name: SourceFile}), and the checked subjects."""
    checker = _Checker(study, sources, today)
    unknown = sorted(set(sources) - set(FILES))
    for name in unknown:
        checker.problem(name, 0, "", f"Unknown file: the import reads {', '.join(FILES)}.")
    checker.run()
    return sorted(set(checker.problems)), checker.subjects


# --- saving ------------------------------------------------------------------------------------


def _visit_date(visit, record):
    """The contact date becomes the visit date only when no other form of the visit records
    a visit date (``crf_services._visit_date``)."""
    if any(VISIT_RECORDS[code].VISIT_DATE_FIELD for code in visit.forms if code in VISIT_RECORDS):
        return None
    return record.last_contact_date


def persist(*, actor, study, sources, subjects, today, progress=None):
    """Write every checked subject's records in one transaction; returns the counts."""
    progress = progress or (lambda fraction, stage: None)
    reason = {name: source.reason for name, source in sources.items()}
    subjects = sorted(subjects.values(), key=lambda s: (s.site.code, s.number))
    counts = {}

    def create(model, objs, file):
        bulk_create_audited(model, objs, actor=actor, reason=reason[file], batch_size=1000)
        counts[model._meta.model_name] = counts.get(model._meta.model_name, 0) + len(objs)

    with transaction.atomic():
        # Lock the study's sites as patient_register does, so a registration at the same
        # time cannot take one of these subject numbers.
        list(Site.objects.select_for_update().filter(study=study).values_list("pk"))
        patients = []
        for s in subjects:
            patient = Patient(site=s.site, subject_number=s.number, subject_id=s.subject_id,
                              sex=s.sex, birth_date=s.birth_date, consent_date=s.consent_date,
                              consent_version=s.consent_version, status=PatientStatus.ENROLLED)
            if s.death:
                patient.death_date, patient.death_cause = s.death
                patient.status = PatientStatus.OFF_STUDY
            patients.append(patient)
        create(Patient, patients, SUBJECTS)
        by_id = {p.subject_id: p for p in patients}
        progress(0.15, "patients")
        create(Screening, [Screening(patient=by_id[s.subject_id], values=s.screening,
                                     verdict=s.evaluation.verdict,
                                     failed_criteria=list(s.evaluation.failed_codes),
                                     missing_variables=list(s.evaluation.missing_variables))
                           for s in subjects], SCREENING)
        create(Enrolment, [Enrolment(patient=by_id[s.subject_id], day1=s.day1, cdk46i=s.cdk46i,
                                     cdk46i_start_dose_mg=s.dose, endocrine=s.endocrine,
                                     ovarian_suppression=s.ovarian_suppression)
                           for s in subjects], SUBJECTS)
        progress(0.3, "screenings and enrolments")
        visits = []
        for s in subjects:
            patient = by_id[s.subject_id]
            for _, _, record in s.follow_ups:
                _enter(record.visit, SurvivalStatus.FORM_CODE, _visit_date(record.visit, record))
            for event in s.toxicities:
                _enter(event.visit, AdverseEvent.FORM_CODE, None)
            death = s.death[0] if s.death else None
            for visit in s.visits:
                visit.patient = patient
                if (death and visit.status == Visit.Status.PLANNED
                        and visit.target_date > death):
                    visit.status = Visit.Status.CANCELLED
                    visit.status_reason = f"death on {death:%Y-%m-%d}"
                visits.append(visit)
        create(Visit, visits, SUBJECTS)
        progress(0.6, "visits")
        if LINES in sources:
            create(TreatmentLine, [
                TreatmentLine(patient=by_id[s.subject_id], number=line.number,
                              drugs=list(line.drugs), other_regimen=line.other_regimen,
                              start_date=line.start, stop_date=line.stop,
                              best_response=response, stop_reason=line.stop_reason,
                              stop_reason_other=other)
                for s in subjects for _, line, response, other in s.lines], LINES)
        progress(0.75, "lines of therapy")
        if TOXICITIES in sources:
            events = []
            for s in subjects:
                for event in s.toxicities:
                    event.patient = by_id[s.subject_id]
                    events.append(event)
            create(AdverseEvent, events, TOXICITIES)
        progress(0.85, "adverse events")
        if FOLLOW_UPS in sources:
            records = []
            for s in subjects:
                records.extend(record for _, _, record in s.follow_ups)
            create(SurvivalStatus, records, FOLLOW_UPS)
        progress(0.92, "survival")
        for name, model, attribute in ((COMORBIDITIES, Comorbidity, "comorbidities"),
                                       (ITEMS, CollectedItem, "items")):
            if name in sources:
                records = []
                for s in subjects:
                    for record in getattr(s, attribute):
                        record.patient = by_id[s.subject_id]
                        records.append(record)
                create(model, records, name)
        progress(0.95, "comorbidities and collected items")
        from trialsite.monitoring.services import edit_checks_run

        edit_checks_run(patient_pks=[p.pk for p in by_id.values()])
    return counts


def _enter(visit, form_code, actual_date):
    """Mark ``form_code`` entered on ``visit``; the status follows its required forms
    (``visit_record_forms``)."""
    visit.entered_forms = sorted({*visit.entered_forms, form_code})
    visit.actual_date = actual_date or visit.actual_date
    missing = [code for code in visit.required_forms if code not in visit.entered_forms]
    visit.status = Visit.Status.INCOMPLETE if missing else Visit.Status.COMPLETED


def can_import(user, study):
    """Only the study's data managers import (a superuser too)."""
    return user.is_superuser or access.has_study_role(user, Role.DATA_MANAGER, study)


def import_real_world(*, actor, study, files, today=None, progress=None):
    """Check ``files`` ({file name: bytes}) and, only if every row is valid, save them all.

    Returns a summary dict; raises ``ImportRefused`` with every problem otherwise.
    """
    from django.core.exceptions import PermissionDenied

    if not can_import(actor, study):
        raise PermissionDenied("Only the study's data managers import real-world data.")
    progress = progress or (lambda fraction, stage: None)
    if today is None:
        today = min(site_today(site) for site in study.sites.all())
    sources, problems = {}, []
    for name, content in files.items():
        try:
            sources[name] = read_file(name, content)
        except ImportRefused as exc:
            problems.extend(exc.problems)
    if problems:
        raise ImportRefused(problems)
    progress(0.02, "checking")
    problems, subjects = check(study=study, sources=sources, today=today)
    if problems:
        raise ImportRefused(problems)
    progress(0.1, "saving")
    counts = persist(actor=actor, study=study, sources=sources, subjects=subjects, today=today,
                     progress=lambda f, stage: progress(0.1 + 0.9 * f, stage))
    progress(1.0, "done")
    return {
        "study": study.code,
        "imported_by": actor.username,
        "at": timezone.now().isoformat(timespec="seconds"),
        "files": {name: {"sha256": s.sha256, "rows": len(s.rows)}
                  for name, s in sorted(sources.items())},
        "created": counts,
    }
