"""Edit checks a protocol declares: the automatic data queries its data managers want.

Each check is data (a code, a message and its thresholds); the evaluation is pure code in
``trialsite.monitoring.domain.editchecks``. A study adds or tunes a check here, never in code.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class WeightChangeCheck:
    """Body weight changed by more than ``max_change_percent`` since the previous visit."""

    code: str = "WEIGHT_CHANGE"
    max_change_percent: Decimal = Decimal(10)
    form_code: str = "vital_signs"
    field: str = "weight_kg"


@dataclass(frozen=True)
class VisitWindowCheck:
    """The visit date falls outside the visit's window (a protocol deviation to confirm)."""

    code: str = "VISIT_WINDOW"


@dataclass(frozen=True)
class LabRangeCheck:
    """A laboratory value above ``factor`` × ULN or below LLN ÷ ``factor`` (a likely unit or
    typing error, or a finding to confirm)."""

    code: str = "LAB_RANGE"
    factor: Decimal = Decimal(5)
    form_codes: tuple[str, ...] = ("haematology", "chemistry")


STANDARD_CHECKS = (WeightChangeCheck(), VisitWindowCheck(), LabRangeCheck())
