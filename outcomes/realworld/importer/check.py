"""The one loop of the import's check: every declared file, every row, every problem.

``check`` reads the files in the order their declarations ask (a file after those whose rows
its rules read), applies each ``FileSchema`` to each row (``ImportCheck.check_file``) and
returns every problem as (file, row, column, message), with the subjects it checked.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from outcomes.realworld.importer.files import SCHEMAS
from outcomes.realworld.importer.schema import REQUIRED, BadCell, Row, keep_row
from outcomes.realworld.importer.sources import Problem


class ImportCheck:
    """The state of one import's check: the context every rule reads."""

    def __init__(self, study, sources, today):
        self.study = study
        self.protocol = study.protocol
        self.sources = sources
        self.today = today
        self.problems = []
        #: subject id -> Subject, from the file of subjects.
        self.subjects = {}
        #: Subject ids of rows of the file of subjects with problems: other files' rows about
        #: them are left unchecked rather than reported again as unknown subjects.
        self.rejected = set()
        self.subjects_file = ""

    def problem(self, file, row, column, message):
        self.problems.append(Problem(file, row, column, message))

    def run(self, schemas):
        names = [schema.name for schema in schemas]
        for name in sorted(set(self.sources) - set(names)):
            self.problem(name, 0, "", f"Unknown file: the import reads {', '.join(names)}.")
        for schema in schemas:
            if schema.required and schema.name not in self.sources:
                self.problem(schema.name, 0, "", "Required file missing.")
            if (schema.real_world and self.protocol.real_world is None
                    and schema.name in self.sources):
                self.problem(schema.name, 0, "", f"{self.study.code} does not collect "
                                                 "real-world data: leave this file out.")
        if self.problems:
            return
        self.subjects_file = next(s.name for s in schemas if not s.per_subject)
        for schema in check_order(schemas):
            if schema.name not in self.sources:
                continue
            read = self.check_file(schema, self.sources[schema.name])
            if not read and not schema.per_subject:
                return  # without its columns no subject is known: the others would only echo

    def check_header(self, source, columns, per_subject):
        if per_subject:
            required = ("subject_id", *(c.name for c in columns if c.needed_in_header))
            known = {"study", "site", "subject_id", *(c.name for c in columns)}
        else:
            required = tuple(c.name for c in columns if c.needed_in_header)
            known = {"study", *(c.name for c in columns)}
        for column in required:
            if column not in source.header:
                self.problem(source.name, 1, column, "Required column missing.")
        seen = set()
        for column in source.header:
            if column not in known:
                self.problem(source.name, 1, column, "Unknown column.")
            if column in seen:
                self.problem(source.name, 1, column, "Column given twice.")
            seen.add(column)
        return all(c in source.header for c in required)

    def check_file(self, schema, source):
        """Check every row of ``source`` against ``schema``; False when its header lacks a
        required column (its rows are then not read)."""
        columns = schema.all_columns(self)
        if not self.check_header(source, columns, schema.per_subject):
            return False
        allowed = {c.name: c.allowed(self) for c in columns if c.kind == "choice"}
        memory = schema.prepare(self, source) if schema.prepare else {}
        for number, values in source.rows:
            if values.get("study") and values["study"] != self.study.code:
                self.problem(source.name, number, "study", f"This import is for "
                                                           f"{self.study.code}.")
            subject = self.subject_of(source.name, number, values) if schema.per_subject else None
            row = Row(self, source.name, number, values, memory, subject,
                      start=len(self.problems))
            for column in columns:
                try:
                    row.cells[column.name] = column.read(values.get(column.name, ""),
                                                         allowed.get(column.name), self)
                except BadCell as exc:
                    row.cells[column.name] = exc.value
                    row.problem(column.name, exc.message)
            for rule in schema.row_rules:
                rule(row)
            if schema.record and row.clean:
                row.record = schema.record(row)
                if schema.clean_record:
                    self.model_rules(row)
            if schema.per_subject:
                if subject is None or not row.clean:
                    continue
                if any(step(row, subject) is False for step in schema.steps):
                    continue
            (schema.keep or keep_row)(row, subject)
        for step in schema.finish:
            step(self, source)
        return True

    def subject_of(self, file, row, values):
        """The subject a row names (None when unknown or rejected); a ``site`` given must be
        the subject's."""
        subject_id = values.get("subject_id", "")
        subject = self.subjects.get(subject_id)
        if subject is None and subject_id in self.rejected:
            return None
        if subject is None:
            if subject_id:
                self.problem(file, row, "subject_id",
                             f"{subject_id} is not a valid subject of {self.subjects_file}.")
            else:
                self.problem(file, row, "subject_id", REQUIRED)
        elif values.get("site") and values["site"] != subject.site.code:
            self.problem(file, row, "site", f"{subject_id} is at {subject.site.code}.")
        return subject

    def model_rules(self, row):
        """The record model's own rules (field validators and ``clean``), as the forms apply
        them; the database constraints they mirror are enforced again by the insert. The
        patient and visit are not known yet."""
        try:
            row.record.clean_fields(exclude={"patient", "visit"})
            row.record.clean()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    row.problem("" if name == "__all__" else name, message)


def check_order(schemas):
    """``schemas`` in their declared order, each moved after the files it reads (the file of
    subjects before every other)."""
    subjects = {s.name for s in schemas if not s.per_subject}
    names = {s.name for s in schemas}
    placed, ordered, waiting = set(), [], list(schemas)
    while waiting:
        for schema in waiting:
            needs = {*schema.after, *(subjects if schema.per_subject else ())} & names
            if needs <= placed:
                break
        else:
            raise ValueError(f"Circular 'after' among {', '.join(s.name for s in waiting)}.")
        waiting.remove(schema)
        placed.add(schema.name)
        ordered.append(schema)
    return ordered


def check(*, study, sources, today, schemas=SCHEMAS):
    """Every problem of ``sources`` ({file name: SourceFile}) against ``schemas``, and the
    checked subjects ({subject id: Subject})."""
    context = ImportCheck(study, sources, today)
    context.run(schemas)
    return sorted(set(context.problems)), context.subjects
