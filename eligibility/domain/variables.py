"""Turn raw strings (CSV cells, form input) into typed values, one clear error per bad value.

Types out: ``datetime.date`` for dates, ``Decimal`` for decimals, ``int`` for integers and the
declared code (``str``) for coded answers. A blank value is left out of the parsed values, so the
engine sees it as missing (or as "none" for a variable that declares ``blank_means_none``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from trialsite.protocols.criteria import Variable, VariableType

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_INTEGER = re.compile(r"^[+-]?\d+$")

#: (analyte, from unit, to unit) → factor: value in ``to`` = value in ``from`` × factor.
UNIT_CONVERSIONS: dict[tuple[str, str, str], Decimal] = {
    # Creatinine molar mass 113.12 g/mol: 1 mg/dL = 10 000 / 113.12 µmol/L ≈ 88.40. The team's
    # conversion table uses 88.42; the 0.02 % difference is far below the assay's imprecision.
    ("creatinine", "mg/dL", "µmol/L"): Decimal("88.42"),
    # 1 g/dL = 10 g/L.
    ("haemoglobin", "g/L", "g/dL"): Decimal("0.1"),
    # Haemoglobin in mmol/L counts the monomer (one haem): molar mass 16 114.5 g/mol (ICSH
    # reference method for haemoglobinometry, 1995; van Kampen and Zijlstra), so
    # 1 mmol/L = 16.1145 g/L = 1.611 g/dL.
    ("haemoglobin", "mmol/L", "g/dL"): Decimal("1.611"),
}


class InvalidValue(ValueError):
    """A raw value that cannot be read as its variable: the message names the variable."""

    def __init__(self, variable: str, message: str):
        super().__init__(f"{variable}: {message}")
        self.variable = variable
        self.message = message


@dataclass(frozen=True)
class ParsedValues:
    """Typed values of the well-formed cells, and one error per bad cell."""

    values: Mapping[str, object]
    errors: tuple[InvalidValue, ...] = ()

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(str(error) for error in self.errors)


def accepted_units(variable: Variable) -> tuple[str, ...]:
    """Return the units a value of ``variable`` may be entered in, its own unit first."""
    if not variable.unit:
        return ()
    others = [
        source for (analyte, source, target) in UNIT_CONVERSIONS
        if variable.analyte and analyte == variable.analyte and target == variable.unit
    ]
    return (variable.unit, *others)


def convert(value: Decimal, analyte: str, from_unit: str, to_unit: str) -> Decimal:
    """Return ``value`` of ``analyte`` converted from ``from_unit`` to ``to_unit``, unrounded.

    Unrounded, because rounding here could move a value across an eligibility limit.
    """
    if from_unit == to_unit:
        return value
    try:
        factor = UNIT_CONVERSIONS[(analyte, from_unit, to_unit)]
    except KeyError:
        raise ValueError(
            f"no conversion of {analyte or 'this value'} from {from_unit} to {to_unit}"
        ) from None
    return value * factor


def parse_value(variable: Variable, raw: str | None, unit: str | None = None):
    """Return ``raw`` read as ``variable``'s type, or None when it is blank.

    ``unit``, when given and different from the variable's, converts a number into the variable's
    unit before its range is checked. Raise ``InvalidValue`` when the value cannot be read.
    """
    text = (raw or "").strip()
    if not text:
        return None
    match variable.type:
        case VariableType.TEXT:
            return text
        case VariableType.DATE:
            return _parse_date(variable, text)
        case VariableType.CODE:
            return _parse_code(variable, text)
        case VariableType.INTEGER:
            return _parse_integer(variable, text)
        case VariableType.DECIMAL:
            return _parse_decimal(variable, text, unit)
    raise InvalidValue(variable.name, f"unknown variable type {variable.type!r}")


def parse_values(variables: Iterable[Variable], raw: Mapping[str, str | None]) -> ParsedValues:
    """Return the typed values of ``raw`` (by variable name) and an error for each bad value.

    Blank and bad values are left out, so they count as missing; names ``raw`` has that no
    variable declares are ignored (see ``unknown_columns``).
    """
    values: dict[str, object] = {}
    errors: list[InvalidValue] = []
    for variable in variables:
        try:
            value = parse_value(variable, raw.get(variable.name))
        except InvalidValue as error:
            errors.append(error)
            continue
        if value is not None:
            values[variable.name] = value
    return ParsedValues(values=values, errors=tuple(errors))


def unknown_columns(variables: Iterable[Variable], header: Iterable[str]) -> tuple[str, ...]:
    """Return the column names of ``header`` that no variable declares, in header order."""
    known = {variable.name for variable in variables}
    return tuple(name for name in header if name not in known)


def _parse_date(variable: Variable, text: str) -> date:
    if not _ISO_DATE.match(text):
        raise InvalidValue(variable.name, f"{text!r} is not a date (expected YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(variable.name, f"{text!r} is not a valid calendar date") from None


def _parse_code(variable: Variable, text: str) -> str:
    # Codes are matched without regard to case ("f" is "F"), and the declared spelling returned.
    for code in variable.codes:
        if code.casefold() == text.casefold():
            return code
    allowed = ", ".join(variable.codes)
    raise InvalidValue(variable.name, f"unknown code {text!r} (expected one of {allowed})")


def _parse_integer(variable: Variable, text: str) -> int:
    if not _INTEGER.match(text):
        raise InvalidValue(variable.name, f"{text!r} is not a whole number")
    value = int(text)
    _check_range(variable, Decimal(value), str(value))
    return value


def _parse_decimal(variable: Variable, text: str, unit: str | None) -> Decimal:
    if not _DECIMAL.match(text):
        hint = " (use a point as the decimal separator)" if "," in text else ""
        raise InvalidValue(variable.name, f"{text!r} is not a number{hint}")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise InvalidValue(variable.name, f"{text!r} is not a number") from None
    if unit and unit != variable.unit:
        try:
            value = convert(value, variable.analyte, unit, variable.unit)
        except ValueError as error:
            raise InvalidValue(variable.name, str(error)) from None
    _check_range(variable, value, text if not unit or unit == variable.unit else str(value))
    return value


def _check_range(variable: Variable, value: Decimal, shown: str) -> None:
    unit = f" {variable.unit}" if variable.unit else ""
    if variable.min_value is not None and value < variable.min_value:
        raise InvalidValue(
            variable.name, f"{shown}{unit} is below the minimum {variable.min_value}{unit}"
        )
    if variable.max_value is not None and value > variable.max_value:
        raise InvalidValue(
            variable.name, f"{shown}{unit} is above the maximum {variable.max_value}{unit}"
        )
