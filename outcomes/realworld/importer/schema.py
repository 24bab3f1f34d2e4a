"""The vocabulary an import file is declared in: its columns with their types and coded lists,
and the rules over its rows, read by the one loop of ``check.py``.

A file is a ``FileSchema``: columns (``text``, ``date``, ``boolean``, ``choice``, ``decimal``,
``integer``, ``variable``), each required or optional, then what is done with each row, in this
order (see ``check.ImportCheck.check_file``):

1. every cell is read as its column says (a bad cell is a problem at its column);
2. ``row_rules`` run over the row's cells (rules between columns: "other" needs its details);
3. when the row has no problem, ``record`` builds the record it stands for and the model's own
   rules (field validators and ``clean()``) run on it, as the forms apply them;
4. for a file about subjects, the row's subject must be known and the row without problem so
   far; then ``steps`` run in order, each a rule needing the subject (once per patient, dates
   against the patient's own dates, the visit a record goes to); a step returning ``False``
   ends the row;
5. ``keep`` puts what the row gave on its subject (by default the row, under the file's name);
6. once every row is read, ``finish`` runs the file's rules over all its rows (the lines of a
   patient together, a death against the other contacts).

Rules get the ``Row`` (its cells, its record, ``row.problem(column, message)`` and, through
``row.context``, the study, protocol, today and the subjects known so far).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date as Date
from decimal import Decimal, InvalidOperation

from eligibility.domain.screening import canonical
from eligibility.domain.variables import InvalidValue, parse_value

REQUIRED = "Required: the cell is empty."
#: Cells read as yes and as no (compared in lower case); an empty cell is the column's default.
YES, NO = frozenset({"1", "y", "yes", "true"}), frozenset({"0", "n", "no", "false", ""})


class BadCell(Exception):
    """A cell that cannot be read as its column: the message is the problem's, ``value`` what
    the rules then see in the cell (an empty value, or None for a value not understood)."""

    def __init__(self, message, value=None):
        super().__init__(message)
        self.message = message
        self.value = value


@dataclass(frozen=True)
class Column:
    """One column of a file: its name, its type and whether a cell may be empty.

    ``required`` cells must be filled (the column must then be in the header); ``in_header``
    asks for the column in the header while an empty cell is left to a rule or the model's
    own rules. ``choices`` (a collection, or a callable of the import's context giving one) is
    the coded list of a ``choice``; a mapping gives the value each code stands for.
    ``invalid(value, context)`` words the problem of a value outside the list (or of a bad
    ``integer``); ``missing`` that of an empty required cell.
    """

    name: str
    kind: str = "text"
    required: bool = False
    in_header: bool = False
    choices: object = ()
    invalid: Callable | None = None
    missing: str = REQUIRED
    default: object = None
    minimum: int = 0
    maximum: int = 0
    variable: object = None

    @property
    def needed_in_header(self):
        return self.required or self.in_header

    def allowed(self, context):
        """The coded list of a ``choice`` (read once per file: it may come from the database)."""
        return self.choices(context) if callable(self.choices) else self.choices

    @property
    def empty(self):
        """The value of an empty cell: ``""`` for text and codes, ``default`` for yes/no, None
        otherwise."""
        return {"text": "", "choice": "", "boolean": self.default}.get(self.kind)

    def read(self, raw, allowed, context):
        """The cell's value; raises ``BadCell``."""
        if not raw:
            if self.required:
                raise BadCell(self.missing, self.empty)
            if self.kind == "variable":
                return _variable(self.variable, raw)
            return self.empty
        return _READERS[self.kind](self, raw, allowed, context)


def _text(column, raw, allowed, context):
    return raw


def _date(column, raw, allowed, context):
    try:
        day = Date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or len(raw) != 10:
        raise BadCell(f"{raw!r} is not a date (expected YYYY-MM-DD).")
    if day > context.today:
        raise BadCell(f"{raw} is in the future.")
    return day


def _boolean(column, raw, allowed, context):
    value = raw.lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise BadCell(f"{raw!r} is not yes/no (1 or 0).")


def _choice(column, raw, allowed, context):
    if raw not in allowed:
        raise BadCell(column.invalid(raw, context) if column.invalid
                      else f"{raw!r} is not one of {', '.join(sorted(allowed))}.")
    return allowed[raw] if isinstance(allowed, Mapping) else raw


def _decimal(column, raw, allowed, context):
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise BadCell(f"{raw!r} is not a number.") from None


def _integer(column, raw, allowed, context):
    if raw.isdigit() and column.minimum <= int(raw) <= column.maximum:
        return int(raw)
    raise BadCell(column.invalid(raw, context) if column.invalid
                  else f"{raw!r} is not a whole number from {column.minimum} to "
                       f"{column.maximum}.")


def _variable(variable, raw):
    try:
        value = parse_value(variable, raw or None)
    except InvalidValue as exc:
        raise BadCell(exc.message) from None
    return None if value is None else canonical(value)


_READERS = {"text": _text, "date": _date, "boolean": _boolean, "choice": _choice,
            "decimal": _decimal, "integer": _integer,
            "variable": lambda column, raw, allowed, context: _variable(column.variable, raw)}


def text(name, *, required=False, in_header=False, missing=REQUIRED):
    """Free text, kept as given (trimmed)."""
    return Column(name, "text", required=required, in_header=in_header, missing=missing)


def date(name, *, required=False):
    """A ``YYYY-MM-DD`` date, not after the import's today (nothing imported lies ahead)."""
    return Column(name, "date", required=required)


def boolean(name, *, default=False, required=False, in_header=False, missing=REQUIRED):
    """Yes/no: ``1``/``0`` (also ``Y``/``N``, ``yes``/``no``, ``true``/``false``); an empty
    cell is ``default`` (None: not said)."""
    return Column(name, "boolean", required=required, in_header=in_header, default=default,
                  missing=missing)


def choice(name, choices, *, required=False, invalid=None):
    """A code of a coded list (``choices``: a collection, a mapping from each code to the value
    it stands for, or a callable of the import's context giving either)."""
    return Column(name, "choice", required=required, choices=choices, invalid=invalid)


def decimal(name, *, required=False):
    """A number, read exactly (``Decimal``)."""
    return Column(name, "decimal", required=required)


def integer(name, minimum, maximum, *, required=False, invalid=None):
    """A whole number written in digits, from ``minimum`` to ``maximum``."""
    return Column(name, "integer", required=required, minimum=minimum, maximum=maximum,
                  invalid=invalid)


def variable(declared):
    """A protocol's eligibility variable, read by the eligibility engine's own parser (units,
    ranges, codes) and kept in its stored (canonical) form; None when empty."""
    return Column(declared.name, "variable", variable=declared)


@dataclass(frozen=True)
class FileSchema:
    """One file of the import: its name, columns and rules (see the module's docstring)."""

    name: str
    columns: tuple = ()
    #: The import needs this file.
    required: bool = False
    #: Only a study with a real-world plan collects what this file holds.
    real_world: bool = False
    #: Rows name a subject of the file of subjects (``subject_id``; ``site`` must agree). The
    #: one file that is not per subject is the file of subjects itself.
    per_subject: bool = True
    #: Further columns the protocol declares (the context -> columns).
    protocol_columns: Callable | None = None
    #: Files checked before this one, because its rules read what their rows gave.
    after: tuple = ()
    #: Database reads made once for the file (context, source) -> the rules' ``row.memory``.
    prepare: Callable | None = None
    row_rules: tuple = ()
    #: The record a row stands for (row -> unsaved model instance), built once the row's
    #: cells are valid.
    record: Callable | None = None
    #: Apply the record model's own rules (field validators and ``clean()``).
    clean_record: bool = True
    steps: tuple = ()
    keep: Callable | None = None
    finish: tuple = ()
    #: The model of the records ``persist`` writes for this file, and the progress stage
    #: shown once they are written.
    model: type | None = None
    saving: str = ""

    def all_columns(self, context):
        extra = self.protocol_columns(context) if self.protocol_columns else ()
        return (*self.columns, *extra)


@dataclass
class Subject:
    """A subject of the file of subjects, and what the other files said about them."""

    row: int
    site: object
    number: int
    subject_id: str
    sex: str
    birth_date: Date
    consent_date: Date
    consent_version: str
    day1: Date
    cdk46i: str
    dose: Decimal
    endocrine: str
    ovarian_suppression: bool
    screening: dict | None = None
    evaluation: object = None
    death: tuple | None = None  # (date, cause)
    visits: list = field(default_factory=list)
    #: The kept rows of each file (file name -> [Row]), each with its record.
    records: dict = field(default_factory=dict)

    def rows(self, file):
        return self.records.get(file, ())


@dataclass(eq=False)
class Row:
    """One data row being checked: its cells as read, the record it stands for, its subject."""

    context: object
    file: str
    number: int
    values: dict
    memory: dict
    subject: Subject | None = None
    cells: dict = field(default_factory=dict)
    record: object = None
    #: Problems of the import before this row's cells were read.
    start: int = 0

    def problem(self, column, message):
        self.context.problem(self.file, self.number, column, message)

    @property
    def clean(self):
        """No problem since this row's cells were read."""
        return len(self.context.problems) == self.start


# --- rules shared by files ----------------------------------------------------------------------


def other_needs_details(column, other, details, message):
    """A row rule: when ``column`` holds the ``other`` code, ``details`` must say what it is."""

    def rule(row):
        if row.cells.get(column) == other and not row.cells.get(details):
            row.problem(details, message)

    rule.__name__ = f"{column}_{other}_needs_{details}".lower()
    return rule


def once_per_subject(column, label):
    """A step: each code of ``column`` at most once per subject in the file; a second row is
    a problem naming the first and ends the row. ``label(context, code)`` names the code."""

    def step(row, subject):
        seen = row.memory.setdefault(("once", column), {})
        code = row.cells[column]
        key = (subject.subject_id, code)
        if key in seen:
            row.problem(column, f"{label(row.context, code)} is given twice for "
                                f"{subject.subject_id} (row {seen[key]}).")
            return False
        seen[key] = row.number
        return True

    step.__name__ = f"{column}_once_per_subject"
    return step


def keep_row(row, subject):
    """What a row of a file about subjects leaves by default: the row (with its record) on its
    subject, under the file's name."""
    subject.records.setdefault(row.file, []).append(row)


def no_problem_yet(row, subject):
    """A step: end the row if any step before found a problem (those after need sound
    values)."""
    return row.clean
