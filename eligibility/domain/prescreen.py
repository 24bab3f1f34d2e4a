"""Prescreening of a CSV of candidates: each row evaluated by the engine, never raising on a bad
cell, and written back as one output row (verdict, failed criteria, missing variables)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from eligibility.domain.engine import Verdict, evaluate
from eligibility.domain.variables import parse_values
from trialsite.csv_safety import writer as safe_csv_writer
from trialsite.protocols.criteria import Criterion, Variable

PRESCREEN_HEADER = ("candidate_id", "result", "failed", "missing")


class PrescreenRow(NamedTuple):
    """One candidate's prescreen: id, verdict, failed codes and missing variables (sorted)."""

    candidate_id: str
    result: Verdict
    failed: tuple[str, ...]
    missing: tuple[str, ...]
    errors: tuple[str, ...]


def prescreen_row(
    protocol_variables: Iterable[Variable],
    criteria: Iterable[Criterion],
    raw: Mapping[str, str | None],
) -> PrescreenRow:
    """Return the prescreen of one row of raw strings, never raising on bad cells.

    A bad cell (unparseable number or date, unknown code, out of range) gives an error message
    and counts as missing. Failed codes and missing variables are both reported, whatever the
    verdict, so that a site sees at once everything to correct.
    """
    variables = tuple(protocol_variables)
    parsed = parse_values(variables, raw)
    evaluation = evaluate(variables, criteria, parsed.values)
    candidate_id = (raw.get("candidate_id") or "").strip()
    errors = parsed.messages
    if not candidate_id:
        errors = ("candidate_id: missing", *errors)
    return PrescreenRow(
        candidate_id=candidate_id,
        result=evaluation.verdict,
        failed=evaluation.failed_codes,
        missing=evaluation.missing_variables,
        errors=errors,
    )


def prescreen_fields(row: PrescreenRow) -> tuple[str, str, str, str]:
    """Return the output columns ``candidate_id, result, failed, missing`` (lists ';'-joined)."""
    return (row.candidate_id, str(row.result), ";".join(row.failed), ";".join(row.missing))


def format_prescreen_row(row: PrescreenRow) -> str:
    """Return the output CSV line of ``row``, quoted as CSV requires, without a line end."""
    buffer = io.StringIO()
    safe_csv_writer(buffer, lineterminator="").writerow(prescreen_fields(row))
    return buffer.getvalue()
