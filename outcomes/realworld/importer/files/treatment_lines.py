"""treatment_lines.csv: lines of therapy for advanced disease, checked together per patient by
``outcomes.realworld.domain.lines``."""

from __future__ import annotations

from outcomes.models import LineResponse, StopReason, TreatmentLine
from outcomes.realworld.domain import lines as line_rules
from outcomes.realworld.importer.files.follow_ups import FOLLOW_UPS, last_contact
from outcomes.realworld.importer.schema import (
    FileSchema,
    choice,
    date,
    integer,
    other_needs_details,
    text,
)

LINES = "treatment_lines.csv"
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
