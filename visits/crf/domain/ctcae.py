"""CTCAE v5.0 grading of laboratory adverse events from a value and the site's reference range.

Pure and exact: values, limits and thresholds are Decimals, compared without rounding.

How the CTCAE table wording is read (the boundaries decide grades, so they are spelled out):

* Decreased terms, e.g. neutrophils "<LLN-1.5; <1.5-1.0; <1.0-0.5; <0.5": each band runs from
  *below* its first number *down to and including* its second. So 1.5 is grade 1, 1.0 is grade 2,
  0.5 is grade 3 and only values below 0.5 are grade 4; a value at or above the LLN is grade 0.
  Below the LLN the fixed thresholds alone decide, so with an LLN under 1.5 a value just below it
  is already grade 2.
* Increased terms, e.g. ALT ">ULN-3.0 x ULN; >3.0-5.0 x ULN; ...": each band runs from *above* its
  first number *up to and including* its second. So exactly 3.0 x ULN is grade 1 and anything
  above it grade 2; a value at the ULN is grade 0.
* Baseline: CTCAE v5 grades ALT, AST and bilirubin against the baseline instead of the ULN when
  the baseline was abnormal. Abnormal means above the ULN; with no baseline given the ULN is used.
  With an abnormal baseline, ALT/AST values up to 1.5 x baseline and bilirubin values up to the
  baseline itself are grade 0 (the table's grade 1 starts above those).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class CtcaeTerm(StrEnum):
    """The CTCAE v5 laboratory terms graded here."""

    # CTCAE spells it "Anemia"; the rest of the system writes British English.
    ANAEMIA = "Anaemia"
    NEUTROPHIL_COUNT_DECREASED = "Neutrophil count decreased"
    WHITE_BLOOD_CELL_DECREASED = "White blood cell decreased"
    PLATELET_COUNT_DECREASED = "Platelet count decreased"
    ALT_INCREASED = "Alanine aminotransferase increased"
    AST_INCREASED = "Aspartate aminotransferase increased"
    BILIRUBIN_INCREASED = "Blood bilirubin increased"


@dataclass(frozen=True)
class ReferenceRange:
    """The site laboratory's normal range for one analyte, in ``unit``.

    An empty unit means the term's canonical unit (``canonical_unit(term)``).
    """

    lln: Decimal | None = None
    uln: Decimal | None = None
    unit: str = ""


@dataclass(frozen=True)
class CtcaeGrade:
    """The grade of one lab value, with the band met and a sentence saying why."""

    term: CtcaeTerm
    #: 0 when the value is within normal limits (or, against an abnormal baseline, not worse).
    grade: int
    #: The CTCAE band that was met, in the table's words, e.g. "<1.0–0.5 G/L".
    criterion: str
    explanation: str


@dataclass(frozen=True)
class _Decrease:
    analyte: str
    unit: str
    #: Other spellings of the unit, with the factor that converts a value to ``unit``.
    aliases: dict[str, Decimal]
    #: Inclusive lower limits of grades 1, 2 ...; below the last one is the highest grade.
    limits: tuple[Decimal, ...]
    #: Appended to the highest grade's explanation (anaemia grade 4 is not read from the value).
    note: str = ""


@dataclass(frozen=True)
class _Increase:
    analyte: str
    #: Inclusive upper limits of grades 1, 2, 3 as multiples of the ULN (or of an abnormal
    #: baseline); above the last one is grade 4.
    multiples: tuple[Decimal, ...]
    #: Against an abnormal baseline, values up to this multiple of it are grade 0.
    baseline_floor: Decimal


_PER_LITRE_E9 = {
    "G/L": Decimal(1),
    "10^9/L": Decimal(1),
    "10⁹/L": Decimal(1),
    "x10^9/L": Decimal(1),
    "×10⁹/L": Decimal(1),
    # 10^3 per microlitre is the same number as 10^9 per litre.
    "10^3/uL": Decimal(1),
    "10³/µL": Decimal(1),
}

_DECREASES = {
    CtcaeTerm.NEUTROPHIL_COUNT_DECREASED: _Decrease(
        "Neutrophils", "G/L", _PER_LITRE_E9, (Decimal("1.5"), Decimal("1.0"), Decimal("0.5"))
    ),
    CtcaeTerm.WHITE_BLOOD_CELL_DECREASED: _Decrease(
        "White blood cells", "G/L", _PER_LITRE_E9, (Decimal("3.0"), Decimal("2.0"), Decimal("1.0"))
    ),
    CtcaeTerm.PLATELET_COUNT_DECREASED: _Decrease(
        "Platelets", "G/L", _PER_LITRE_E9, (Decimal("75"), Decimal("50"), Decimal("25"))
    ),
    # Grade 4 anaemia is "life-threatening consequences; urgent intervention indicated": a
    # clinical judgement, so a value alone grades at most 3. Many European labs report g/L.
    CtcaeTerm.ANAEMIA: _Decrease(
        "Haemoglobin",
        "g/dL",
        {"g/dL": Decimal(1), "g/L": Decimal("0.1")},
        (Decimal("10.0"), Decimal("8.0")),
        note="; grade 4 is a clinical judgement",
    ),
}

_INCREASES = {
    CtcaeTerm.ALT_INCREASED: _Increase(
        "ALT", (Decimal("3.0"), Decimal("5.0"), Decimal("20.0")), baseline_floor=Decimal("1.5")
    ),
    CtcaeTerm.AST_INCREASED: _Increase(
        "AST", (Decimal("3.0"), Decimal("5.0"), Decimal("20.0")), baseline_floor=Decimal("1.5")
    ),
    CtcaeTerm.BILIRUBIN_INCREASED: _Increase(
        "Bilirubin", (Decimal("1.5"), Decimal("3.0"), Decimal("10.0")),
        baseline_floor=Decimal("1.0"),
    ),
}


def canonical_unit(term):
    """Return the unit a decreased term's thresholds are in; "" for ratio-graded terms."""
    term = CtcaeTerm(term)
    return _DECREASES[term].unit if term in _DECREASES else ""


def _decimal(value, name):
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, float, str)):
        raise TypeError(f"{name} must be a number, not {value!r}")
    # Through str() so a float gives the digits it prints, not its binary expansion.
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"{name} must be a finite number, not {value}")
    if number < 0:
        raise ValueError(f"{name} must not be negative, not {value}")
    return number


def _with_unit(number, unit):
    return f"{number} {unit}" if unit else f"{number}"


def _grade_decrease(term, rule, value, reference):
    unit = reference.unit or rule.unit
    try:
        factor = rule.aliases[unit]
    except KeyError:
        known = ", ".join(rule.aliases)
        raise ValueError(f"{rule.analyte} in {unit!r} cannot be graded; use {known}") from None
    if reference.lln is None:
        raise ValueError(f"{rule.analyte}: the reference range has no LLN")
    lln = _decimal(reference.lln, "LLN")
    shown = f"{rule.analyte} {_with_unit(value, unit)}"
    if value >= lln:
        return CtcaeGrade(
            term, 0, "not below LLN",
            f"{shown}: grade 0, not below LLN {_with_unit(lln, unit)}",
        )
    # Band k runs from below its upper number down to and including its lower one: "<LLN–1.5",
    # "<1.5–1.0", "<1.0–0.5", then the open-ended "<0.5".
    converted = value * factor
    uppers = ("LLN", *rule.limits)
    grade, criterion = len(rule.limits) + 1, f"<{rule.limits[-1]} {rule.unit}"
    for index, lower in enumerate(rule.limits):
        if converted >= lower:
            grade, criterion = index + 1, f"<{uppers[index]}–{lower} {rule.unit}"
            break
    note = rule.note if grade == len(rule.limits) + 1 else ""
    explanation = f"{shown}: grade {grade} {term.lower()} ({criterion}{note})"
    return CtcaeGrade(term, grade, criterion, explanation)


def _grade_increase(term, rule, value, reference, baseline):
    if reference.uln is None:
        raise ValueError(f"{rule.analyte}: the reference range has no ULN")
    uln = _decimal(reference.uln, "ULN")
    if uln == 0:
        raise ValueError(f"{rule.analyte}: the ULN must be positive")
    unit = reference.unit
    shown = f"{rule.analyte} {_with_unit(value, unit)}"
    if baseline is not None and baseline > uln:
        # Abnormal baseline: CTCAE v5 grades the rise from the patient's own baseline.
        base, name, floor = baseline, "baseline", rule.baseline_floor
        first, zero = f"{floor}", f"not above {floor}×baseline"
        reference_text = f"baseline {_with_unit(baseline, unit)}"
    else:
        base, name, floor = uln, "ULN", Decimal(1)
        first, zero = "ULN", "not above ULN"
        reference_text = f"ULN {_with_unit(uln, unit)}"
    if value <= floor * base:
        return CtcaeGrade(term, 0, zero, f"{shown}: grade 0, {zero} ({reference_text})")
    # Band k runs from above its lower multiple up to and including its upper one: ">ULN–3.0",
    # ">3.0–5.0", ">5.0–20.0", then the open-ended ">20.0".
    lowers = (first, *(str(multiple) for multiple in rule.multiples))
    grade, criterion = len(rule.multiples) + 1, f">{rule.multiples[-1]}×{name}"
    for index, multiple in enumerate(rule.multiples):
        if value <= multiple * base:
            grade, criterion = index + 1, f">{lowers[index]}–{multiple}×{name}"
            break
    return CtcaeGrade(
        term, grade, criterion,
        f"{shown}: grade {grade} {term.lower()} ({criterion}; {reference_text})",
    )


def grade(term, value, reference, baseline=None):
    """Return the CTCAE v5 grade of a lab value against the site's reference range.

    ``value`` and ``baseline`` are in ``reference.unit``. ``baseline`` is used only by ALT, AST
    and bilirubin, and only when it is above the ULN; decreased terms ignore it.
    """
    term = CtcaeTerm(term)
    value = _decimal(value, "value")
    if term in _DECREASES:
        return _grade_decrease(term, _DECREASES[term], value, reference)
    if baseline is not None:
        baseline = _decimal(baseline, "baseline")
    return _grade_increase(term, _INCREASES[term], value, reference, baseline)
