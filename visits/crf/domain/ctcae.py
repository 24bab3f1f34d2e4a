"""CTCAE v5.0 grading of laboratory adverse events from a value and the site's reference range.

Pure and exact: values, limits and thresholds are Decimals, compared without rounding. The grades
follow the CTCAE v5.0 tables as pharmaverse's admiral implements them (its NCI-CTCAE v5 grading
metadata, ``atoxgr_criteria_ctcv5``), so a trial's listings agree with a standard ADLB derivation.

How the CTCAE table wording is read (the boundaries decide grades, so they are spelled out):

* Decreased terms, e.g. neutrophils "<LLN-1.5; <1.5-1.0; <1.0-0.5; <0.5": grades 4, 3 and 2 are
  decided by their absolute thresholds alone ("<0.5", "<1.0", "<1.5"), whatever the site's LLN;
  grade 1 is a value below the LLN that none of them reaches; anything else is grade 0. So 1.5 is
  grade 1 (or 0 when it is not below the LLN), 1.0 is grade 2, 0.5 grade 3, and only values below
  0.5 grade 4. A site LLN under a threshold never hides a grade: ANC 1.3 with an LLN of 1.2 is
  grade 2. Without an LLN, a value at or above the grade-2 threshold cannot be graded.
* Increased terms, e.g. ALT ">ULN-3.0 x ULN; >3.0-5.0 x ULN; ...": each band runs from *above* its
  first number *up to and including* its second. So exactly 3.0 x ULN is grade 1 and anything
  above it grade 2; a value at the ULN is grade 0.
* Baseline: CTCAE v5 grades ALT, AST, alkaline phosphatase and bilirubin against the baseline
  instead of the ULN when the baseline was abnormal (above the ULN; with no baseline the ULN is
  used). Grade 1 then starts *at* 1.5 x baseline for ALT/AST ("1.5 - 3.0 x baseline") and at
  2.0 x baseline for alkaline phosphatase ("2.0 - 2.5 x baseline"), but only *above* the baseline
  for bilirubin ("> 1.0 - 1.5 x baseline"); below that start the value is grade 0.
* Creatinine increased: ">ULN-1.5 x ULN; >1.5-3.0 x baseline; >1.5-3.0 x ULN; >3.0 baseline;
  >3.0-6.0 x ULN; >6.0 x ULN". The rise from any known baseline counts for grades 2 and 3 as the
  multiples of the ULN do, and the higher of the two readings is the grade; grade 4 is read
  against the ULN only.
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
    LYMPHOCYTE_COUNT_DECREASED = "Lymphocyte count decreased"
    ALT_INCREASED = "Alanine aminotransferase increased"
    AST_INCREASED = "Aspartate aminotransferase increased"
    BILIRUBIN_INCREASED = "Blood bilirubin increased"
    ALKALINE_PHOSPHATASE_INCREASED = "Alkaline phosphatase increased"
    CREATININE_INCREASED = "Creatinine increased"


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
    #: The table's thresholds, highest first: the upper (exclusive) limits of grades 2, 3, ...;
    #: a value below the first is at least grade 2, below the last the highest grade.
    thresholds: tuple[Decimal, ...]
    #: Appended to the highest grade's explanation (anaemia grade 4 is not read from the value).
    note: str = ""


@dataclass(frozen=True)
class _Increase:
    analyte: str
    #: Inclusive upper limits of grades 1, 2, 3 as multiples of the ULN (or of an abnormal
    #: baseline); above the last one is grade 4.
    multiples: tuple[Decimal, ...]
    #: Against an abnormal baseline, grade 1 starts at this multiple of it...
    baseline_start: Decimal
    #: ...included in grade 1 ("1.5 - 3.0 x baseline") or not ("> 1.0 - 1.5 x baseline").
    baseline_start_included: bool


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
    # "<LLN - 800/mm3; <800 - 500/mm3; <500 - 200/mm3; <200/mm3".
    CtcaeTerm.LYMPHOCYTE_COUNT_DECREASED: _Decrease(
        "Lymphocytes", "G/L", _PER_LITRE_E9, (Decimal("0.8"), Decimal("0.5"), Decimal("0.2"))
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

_TRANSAMINASE = (Decimal("3.0"), Decimal("5.0"), Decimal("20.0"))
_INCREASES = {
    CtcaeTerm.ALT_INCREASED: _Increase("ALT", _TRANSAMINASE, Decimal("1.5"), True),
    CtcaeTerm.AST_INCREASED: _Increase("AST", _TRANSAMINASE, Decimal("1.5"), True),
    CtcaeTerm.BILIRUBIN_INCREASED: _Increase(
        "Bilirubin", (Decimal("1.5"), Decimal("3.0"), Decimal("10.0")), Decimal("1.0"), False,
    ),
    CtcaeTerm.ALKALINE_PHOSPHATASE_INCREASED: _Increase(
        "Alkaline phosphatase", (Decimal("2.5"), Decimal("5.0"), Decimal("20.0")),
        Decimal("2.0"), True,
    ),
}

#: Creatinine increased, CTCAE v5: multiples of the ULN bounding grades 1, 2 and 3 (above the
#: last is grade 4), and multiples of the baseline bounding grade 2 (above the last is grade 3).
_CREATININE_ULN = (Decimal("1.5"), Decimal("3.0"), Decimal("6.0"))
_CREATININE_BASELINE = (Decimal("1.5"), Decimal("3.0"))


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
    shown = f"{rule.analyte} {_with_unit(value, unit)}"
    converted = value * factor
    thresholds = rule.thresholds
    # Grades 4, 3, 2 by the absolute thresholds alone (admiral: AVAL < 0.5 ~ 4, < 1.0 ~ 3,
    # < 1.5 ~ 2), checked from the most severe; band k reads "<upper–lower".
    for index in range(len(thresholds) - 1, -1, -1):
        if converted < thresholds[index]:
            grade = index + 2
            if index == len(thresholds) - 1:
                criterion, note = f"<{thresholds[index]} {rule.unit}", rule.note
            else:
                criterion = f"<{thresholds[index]}–{thresholds[index + 1]} {rule.unit}"
                note = ""
            explanation = f"{shown}: grade {grade} {term.lower()} ({criterion}{note})"
            return CtcaeGrade(term, grade, criterion, explanation)
    # Not below the grade-2 threshold: grade 1 below the site's LLN, else normal.
    if reference.lln is None:
        raise ValueError(f"{rule.analyte}: the reference range has no LLN")
    lln = _decimal(reference.lln, "LLN")
    if value < lln:
        criterion = f"<LLN–{thresholds[0]} {rule.unit}"
        return CtcaeGrade(term, 1, criterion,
                          f"{shown}: grade 1 {term.lower()} ({criterion}; "
                          f"LLN {_with_unit(lln, unit)})")
    return CtcaeGrade(
        term, 0, "not below LLN", f"{shown}: grade 0, not below LLN {_with_unit(lln, unit)}",
    )


def _uln_of(rule_name, reference):
    if reference.uln is None:
        raise ValueError(f"{rule_name}: the reference range has no ULN")
    uln = _decimal(reference.uln, "ULN")
    if uln == 0:
        raise ValueError(f"{rule_name}: the ULN must be positive")
    return uln


def _band_above(value, base, multiples):
    """Index of the first band whose upper multiple of ``base`` holds ``value``; len if none."""
    for index, multiple in enumerate(multiples):
        if value <= multiple * base:
            return index
    return len(multiples)


def _grade_increase(term, rule, value, reference, baseline):
    uln = _uln_of(rule.analyte, reference)
    unit = reference.unit
    shown = f"{rule.analyte} {_with_unit(value, unit)}"
    if baseline is not None and baseline > uln:
        # Abnormal baseline: CTCAE v5 grades the rise from the patient's own baseline.
        base, name, start = baseline, "baseline", rule.baseline_start
        first = f"{start}" if rule.baseline_start_included else f">{start}"
        zero = (f"below {start}×baseline" if rule.baseline_start_included
                else f"not above {start}×baseline")
        reference_text = f"baseline {_with_unit(baseline, unit)}"
        normal = (value < start * base) if rule.baseline_start_included else (
            value <= start * base)
    else:
        base, name = uln, "ULN"
        first, zero = ">ULN", "not above ULN"
        reference_text = f"ULN {_with_unit(uln, unit)}"
        normal = value <= uln
    if normal:
        return CtcaeGrade(term, 0, zero, f"{shown}: grade 0, {zero} ({reference_text})")
    # Band k runs from above its lower multiple up to and including its upper one: ">ULN–3.0",
    # ">3.0–5.0", ">5.0–20.0", then the open-ended ">20.0".
    index = _band_above(value, base, rule.multiples)
    grade = index + 1
    if index == len(rule.multiples):
        criterion = f">{rule.multiples[-1]}×{name}"
    else:
        lower = first if index == 0 else f">{rule.multiples[index - 1]}"
        criterion = f"{lower}–{rule.multiples[index]}×{name}"
    return CtcaeGrade(
        term, grade, criterion,
        f"{shown}: grade {grade} {term.lower()} ({criterion}; {reference_text})",
    )


def _grade_creatinine(term, value, reference, baseline):
    uln = _uln_of("Creatinine", reference)
    unit = reference.unit
    shown = f"Creatinine {_with_unit(value, unit)}"
    by_uln = 0 if value <= uln else _band_above(value, uln, _CREATININE_ULN) + 1
    by_baseline = 0
    if baseline is not None and baseline > 0 and value > _CREATININE_BASELINE[0] * baseline:
        by_baseline = _band_above(value, baseline, _CREATININE_BASELINE[1:]) + 2
    if by_uln == 0 and by_baseline == 0:
        text = f"ULN {_with_unit(uln, unit)}"
        if baseline is not None:
            text += f", not above 1.5×baseline {_with_unit(baseline, unit)}"
        return CtcaeGrade(term, 0, "not above ULN", f"{shown}: grade 0, not above {text}")
    if by_baseline > by_uln:
        grade = by_baseline
        criterion = ">1.5–3.0×baseline" if grade == 2 else ">3.0×baseline"
        reference_text = f"baseline {_with_unit(baseline, unit)}"
    else:
        grade = by_uln
        criterion = (">ULN–1.5×ULN", ">1.5–3.0×ULN", ">3.0–6.0×ULN", ">6.0×ULN")[grade - 1]
        reference_text = f"ULN {_with_unit(uln, unit)}"
    return CtcaeGrade(
        term, grade, criterion,
        f"{shown}: grade {grade} {term.lower()} ({criterion}; {reference_text})",
    )


def grade(term, value, reference, baseline=None):
    """Return the CTCAE v5 grade of a lab value against the site's reference range.

    ``value`` and ``baseline`` are in ``reference.unit``. ``baseline`` is used only by increased
    terms: by ALT, AST, alkaline phosphatase and bilirubin when it is above the ULN, by
    creatinine whenever it is known; decreased terms ignore it.
    """
    term = CtcaeTerm(term)
    value = _decimal(value, "value")
    if term in _DECREASES:
        return _grade_decrease(term, _DECREASES[term], value, reference)
    if baseline is not None:
        baseline = _decimal(baseline, "baseline")
    if term is CtcaeTerm.CREATININE_INCREASED:
        return _grade_creatinine(term, value, reference, baseline)
    return _grade_increase(term, _INCREASES[term], value, reference, baseline)
