"""Declarations of eligibility variables and criteria: frozen data, the same for every study.

A study module lists its ``VARIABLES`` (what is collected: CSV columns, form fields, export names)
and its ``CRITERIA`` (what must hold). A criterion's ``rule`` states what must be true for the
candidate to stay eligible on that item, for inclusions and exclusions alike: an exclusion such as
"bilateral breast cancer" is declared as ``NotYes("bilateral_breast_cancer")``. The logic of every
rule kind lives in ``eligibility.domain.engine`` and never depends on which study declares it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar


class VariableType(StrEnum):
    TEXT = "text"
    DATE = "date"
    DECIMAL = "decimal"
    INTEGER = "integer"
    CODE = "code"


@dataclass(frozen=True)
class Choice:
    """One allowed code of a coded variable, with the words shown for it."""

    code: str
    label: str


YES_NO = (Choice("Y", "yes"), Choice("N", "no"))


@dataclass(frozen=True)
class Variable:
    """One collected value: its name (CSV column, form field, export name), type and limits.

    Numbers are held in ``unit``; ``min_value`` and ``max_value`` are inclusive and in that unit.
    ``analyte`` names what is measured ("creatinine", "haemoglobin") so that a value entered in
    another unit can be converted. ``blank_means_none`` marks a variable whose empty value is an
    answer ("no investigational agent"), not missing data.
    """

    name: str
    label: str
    type: VariableType
    unit: str = ""
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    choices: tuple[Choice, ...] = ()
    analyte: str = ""
    blank_means_none: bool = False
    help_text: str = ""

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(choice.code for choice in self.choices)

    @classmethod
    def text(cls, name, label, **extra) -> Variable:
        return cls(name, label, VariableType.TEXT, **extra)

    @classmethod
    def of_date(cls, name, label, **extra) -> Variable:
        return cls(name, label, VariableType.DATE, **extra)

    @classmethod
    def of_decimal(cls, name, label, unit, min_value, max_value, **extra) -> Variable:
        return cls(
            name, label, VariableType.DECIMAL, unit=unit,
            min_value=Decimal(min_value), max_value=Decimal(max_value), **extra,
        )

    @classmethod
    def of_integer(cls, name, label, min_value, max_value, **extra) -> Variable:
        return cls(
            name, label, VariableType.INTEGER,
            min_value=Decimal(min_value), max_value=Decimal(max_value), **extra,
        )

    @classmethod
    def of_codes(cls, name, label, *choices: Choice | str, **extra) -> Variable:
        declared = tuple(c if isinstance(c, Choice) else Choice(c, c) for c in choices)
        return cls(name, label, VariableType.CODE, choices=declared, **extra)

    @classmethod
    def yes_no(cls, name, label, **extra) -> Variable:
        return cls(name, label, VariableType.CODE, choices=YES_NO, **extra)


class CriterionKind(StrEnum):
    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"


class RuleKind(StrEnum):
    COMPARE = "compare"
    ALL_OF = "all_of"
    ANY_OF = "any_of"
    NOT_YES = "not_yes"
    RATIO_TO_LIMIT = "ratio_to_limit"
    CREATININE_OR_CLEARANCE = "creatinine_or_clearance"
    HER2_NEGATIVE = "her2_negative"
    ALL_NEGATIVE = "all_negative"
    MIN_AGE = "min_age"
    DATES_IN_ORDER = "dates_in_order"
    DATE_NOT_WITHIN = "date_not_within"
    MIN_INTERVAL = "min_interval"
    ENDOCRINE_RESISTANCE = "endocrine_resistance"


class Op(StrEnum):
    """A comparison of a variable with a declared constant; the value is the symbol shown."""

    GE = "≥"
    GT = ">"
    LE = "≤"
    LT = "<"
    EQ = "="
    NE = "≠"
    IN = "in"
    NOT_IN = "not in"


@dataclass(frozen=True)
class Compare:
    """``variable op value``: a number against a limit, or a code against allowed codes.

    ``unknown`` lists codes that mean "no result yet" (such as ``NOT_DONE``): they make the
    comparison missing data rather than a failure.
    """

    kind: ClassVar[RuleKind] = RuleKind.COMPARE
    variable: str
    op: Op
    value: Decimal | int | str | tuple[str, ...]
    unknown: tuple[str, ...] = ()

    @property
    def variables(self) -> tuple[str, ...]:
        return (self.variable,)


@dataclass(frozen=True)
class AllOf:
    """Every rule must hold (three-valued: one failure fails, else one unknown is missing)."""

    kind: ClassVar[RuleKind] = RuleKind.ALL_OF
    rules: tuple[Rule, ...]

    @property
    def variables(self) -> tuple[str, ...]:
        return _unique(name for rule in self.rules for name in rule.variables)


@dataclass(frozen=True)
class AnyOf:
    """At least one rule must hold (three-valued: one success passes, else unknown is missing)."""

    kind: ClassVar[RuleKind] = RuleKind.ANY_OF
    rules: tuple[Rule, ...]

    @property
    def variables(self) -> tuple[str, ...]:
        return _unique(name for rule in self.rules for name in rule.variables)


@dataclass(frozen=True)
class NotYes:
    """An investigator's Y/N answer to an exclusion item: "Y" fails it, "N" passes."""

    kind: ClassVar[RuleKind] = RuleKind.NOT_YES
    variable: str
    yes: str = "Y"

    @property
    def variables(self) -> tuple[str, ...]:
        return (self.variable,)


@dataclass(frozen=True)
class RatioToLimit:
    """``variable op factor × limit_variable``: a lab value against the site's ULN or LLN."""

    kind: ClassVar[RuleKind] = RuleKind.RATIO_TO_LIMIT
    variable: str
    limit: str
    op: Op
    factor: Decimal = Decimal(1)
    limit_name: str = "ULN"

    @property
    def variables(self) -> tuple[str, ...]:
        return (self.variable, self.limit)


@dataclass(frozen=True)
class CreatinineOrClearance:
    """Creatinine ≤ factor × ULN; above it, a creatinine clearance of at least ``min_clearance``.

    When no clearance is entered it is computed by Cockcroft–Gault from sex, weight and the age at
    the ``age_at`` date, with creatinine in µmol/L.
    """

    kind: ClassVar[RuleKind] = RuleKind.CREATININE_OR_CLEARANCE
    creatinine: str
    creatinine_uln: str
    factor: Decimal
    clearance: str
    min_clearance: Decimal
    sex: str
    birth_date: str
    weight: str
    age_at: str
    female_code: str = "F"

    @property
    def variables(self) -> tuple[str, ...]:
        return (
            self.creatinine, self.creatinine_uln, self.clearance,
            self.sex, self.birth_date, self.weight, self.age_at,
        )


@dataclass(frozen=True)
class Her2Negative:
    """HER2 negative: IHC 0 or 1+, or IHC 2+ with a negative in situ hybridisation (ASCO/CAP).

    ISH is read only for an equivocal IHC; any other ISH answer (positive, not done) fails, as
    HER2-positive or of unknown status.
    """

    kind: ClassVar[RuleKind] = RuleKind.HER2_NEGATIVE
    ihc: str
    ish: str
    negative_ihc: tuple[str, ...] = ("0", "1+")
    equivocal_ihc: tuple[str, ...] = ("2+",)
    ish_negative: str = "NEGATIVE"

    @property
    def variables(self) -> tuple[str, ...]:
        return (self.ihc, self.ish)


@dataclass(frozen=True)
class AllNegative:
    """Every test result must be negative; ``unknown`` results (not done) are missing data."""

    kind: ClassVar[RuleKind] = RuleKind.ALL_NEGATIVE
    tests: tuple[str, ...]
    negative: str = "NEGATIVE"
    unknown: tuple[str, ...] = ("NOT_DONE",)

    @property
    def variables(self) -> tuple[str, ...]:
        return self.tests


@dataclass(frozen=True)
class MinAge:
    """Completed years from ``birth_date`` to the first given date of ``at`` ≥ ``years``."""

    kind: ClassVar[RuleKind] = RuleKind.MIN_AGE
    birth_date: str
    at: tuple[str, ...]
    years: int

    @property
    def variables(self) -> tuple[str, ...]:
        return (self.birth_date, *self.at)


@dataclass(frozen=True)
class DatesInOrder:
    """``first`` is on or before each date of ``later`` and each given one of ``later_if_given``."""

    kind: ClassVar[RuleKind] = RuleKind.DATES_IN_ORDER
    first: str
    later: tuple[str, ...]
    later_if_given: tuple[str, ...] = ()

    @property
    def variables(self) -> tuple[str, ...]:
        return (self.first, *self.later, *self.later_if_given)


@dataclass(frozen=True)
class DateNotWithin:
    """No event dated within ``days`` days before ``anchor`` (or after it).

    An event exactly ``days`` days before the anchor is within; ``days + 1`` is not. An empty
    event date passes only when its variable declares ``blank_means_none``.
    """

    kind: ClassVar[RuleKind] = RuleKind.DATE_NOT_WITHIN
    variable: str
    anchor: str
    days: int

    @property
    def variables(self) -> tuple[str, ...]:
        return (self.variable, self.anchor)


@dataclass(frozen=True)
class MinInterval:
    """``end`` is at least ``months`` calendar months after ``start``."""

    kind: ClassVar[RuleKind] = RuleKind.MIN_INTERVAL
    start: str
    end: str
    months: int

    @property
    def variables(self) -> tuple[str, ...]:
        return (self.start, self.end)


@dataclass(frozen=True)
class EndocrineResistance:
    """First-line setting without primary endocrine resistance (ESO-ESMO ABC definitions).

    De novo advanced disease passes without prior systemic treatment for advanced disease. A
    relapse passes without that treatment unless it is primary resistance: relapse on adjuvant
    hormone therapy within its first ``primary_years`` years. Relapse on it after that, or within
    ``secondary_months`` months after its end, is secondary resistance; later, sensitivity.
    """

    kind: ClassVar[RuleKind] = RuleKind.ENDOCRINE_RESISTANCE
    setting: str
    prior_systemic: str
    ht_start: str
    ht_end: str
    relapse: str
    #: Y/N variable saying whether adjuvant hormone therapy was given ("" when not asked): a
    #: relapse without it is endocrine-naive, neither primary nor secondary resistance.
    adjuvant_given: str = ""
    de_novo_code: str = "DE_NOVO"
    relapse_code: str = "RELAPSE"
    yes: str = "Y"
    no: str = "N"
    primary_years: int = 2
    secondary_months: int = 12

    @property
    def variables(self) -> tuple[str, ...]:
        given = (self.adjuvant_given,) if self.adjuvant_given else ()
        return (self.setting, self.prior_systemic, *given, self.ht_start, self.ht_end,
                self.relapse)


type Rule = (
    Compare | AllOf | AnyOf | NotYes | RatioToLimit | CreatinineOrClearance | Her2Negative
    | AllNegative | MinAge | DatesInOrder | DateNotWithin | MinInterval | EndocrineResistance
)


@dataclass(frozen=True)
class RetiredAnswer:
    """An answer to a screening question the protocol no longer asks, and what it still says.

    Stored screenings keep the retired ``variable`` as saved; when its value is ``code`` and the
    ``replacement`` variable has no answer yet, it is read as ``replacement_code``.
    """

    variable: str
    label: str
    code: str
    replacement: str
    replacement_code: str


@dataclass(frozen=True)
class DateWindow:
    """Values count only when ``date`` is from ``days_before`` days before ``anchor`` to
    ``days_after`` days after it; outside, they are missing data to be repeated."""

    date: str
    anchor: str
    days_before: int
    days_after: int = 0
    subject: str = "Labs"
    repeat: str = "repeat them"


@dataclass(frozen=True)
class Criterion:
    """One eligibility item: its code, the seed's text, and the rule that must hold.

    ``applies_when``, if given, is a rule deciding whether the item applies at all; when it does
    not hold the criterion is met and shown as not applicable (``not_applicable_reason``).
    ``window``, if given, makes the values count only when dated inside it.
    """

    code: str
    kind: CriterionKind
    text: str
    rule: Rule
    applies_when: Rule | None = None
    not_applicable_reason: str = ""
    window: DateWindow | None = None
    note: str = ""

    @property
    def variables(self) -> tuple[str, ...]:
        """Return every variable the criterion may read, in declaration order."""
        names = list(self.rule.variables)
        if self.applies_when is not None:
            names[:0] = self.applies_when.variables
        if self.window is not None:
            names += [self.window.date, self.window.anchor]
        return _unique(names)


def _unique(names) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))
