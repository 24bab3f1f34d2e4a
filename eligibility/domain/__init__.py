"""Eligibility rules in pure Python: typed values in, frozen results out (no ORM, no clock)."""

from eligibility.domain.engine import (
    CriterionResult,
    Evaluation,
    Status,
    Verdict,
    add_months,
    add_years,
    age_on,
    declaration_errors,
    evaluate,
    evaluate_criterion,
)
from eligibility.domain.prescreen import (
    PRESCREEN_HEADER,
    PrescreenRow,
    format_prescreen_row,
    prescreen_fields,
    prescreen_row,
)
from eligibility.domain.renal import cockcroft_gault
from eligibility.domain.variables import (
    InvalidValue,
    ParsedValues,
    accepted_units,
    convert,
    parse_value,
    parse_values,
    unknown_columns,
)

__all__ = [
    "PRESCREEN_HEADER",
    "CriterionResult",
    "Evaluation",
    "InvalidValue",
    "ParsedValues",
    "PrescreenRow",
    "Status",
    "Verdict",
    "accepted_units",
    "add_months",
    "add_years",
    "age_on",
    "cockcroft_gault",
    "convert",
    "declaration_errors",
    "evaluate",
    "evaluate_criterion",
    "format_prescreen_row",
    "parse_value",
    "parse_values",
    "prescreen_fields",
    "prescreen_row",
    "unknown_columns",
]
