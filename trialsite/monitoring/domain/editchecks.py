"""Evaluate the protocol's edit checks over plain facts (no ORM, no clock).

The apps that own the data turn their records into these facts (a registered edit-check
source); this module decides which facts trip which check. A finding names the record and
field a query is opened on, so the same finding found twice is the same query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from trialsite.protocols.edit_checks import LabRangeCheck, VisitWindowCheck, WeightChangeCheck


@dataclass(frozen=True)
class RecordKey:
    model_label: str  # "visits.VitalSigns"
    pk: int


@dataclass(frozen=True)
class WeightFact:
    study_code: str
    patient_pk: int
    record: RecordKey
    visit_code: str
    visit_date: date
    weight_kg: Decimal


@dataclass(frozen=True)
class VisitDateFact:
    study_code: str
    patient_pk: int
    record: RecordKey
    field: str
    visit_code: str
    visit_date: date
    window_start: date
    window_end: date


@dataclass(frozen=True)
class LabFact:
    study_code: str
    patient_pk: int
    record: RecordKey
    form_code: str
    field: str
    label: str
    unit: str
    value: Decimal
    lln: Decimal | None
    uln: Decimal | None


@dataclass(frozen=True)
class Finding:
    check_code: str
    patient_pk: int
    record: RecordKey
    field: str
    message: str


def _percent(value):
    return format(value.quantize(Decimal("0.1")), "f")


def weight_findings(check: WeightChangeCheck, facts):
    """Each visit whose weight differs from the previous visit's by more than the limit."""
    by_patient = {}
    for fact in facts:
        by_patient.setdefault(fact.patient_pk, []).append(fact)
    out = []
    for rows in by_patient.values():
        rows.sort(key=lambda f: (f.visit_date, f.visit_code))
        for previous, current in zip(rows, rows[1:], strict=False):
            if previous.weight_kg <= 0:
                continue
            change = (current.weight_kg - previous.weight_kg) * 100 / previous.weight_kg
            if abs(change) > check.max_change_percent:
                out.append(Finding(
                    check.code, current.patient_pk, current.record, check.field,
                    f"Weight {current.weight_kg} kg at {current.visit_code} is "
                    f"{'+' if change > 0 else '−'}{_percent(abs(change))} % from "
                    f"{previous.weight_kg} kg at {previous.visit_code} (limit "
                    f"{check.max_change_percent} %): please confirm or correct.",
                ))
    return out


def visit_window_findings(check: VisitWindowCheck, facts):
    out = []
    for fact in facts:
        if fact.window_start <= fact.visit_date <= fact.window_end:
            continue
        if fact.visit_date < fact.window_start:
            days, side = (fact.window_start - fact.visit_date).days, "before"
        else:
            days, side = (fact.visit_date - fact.window_end).days, "after"
        out.append(Finding(
            check.code, fact.patient_pk, fact.record, fact.field,
            f"Visit {fact.visit_code} dated {fact.visit_date.isoformat()}, {days} day(s) {side} "
            f"its window ({fact.window_start.isoformat()} to {fact.window_end.isoformat()}): "
            "please confirm the date.",
        ))
    return out


def lab_findings(check: LabRangeCheck, facts):
    out = []
    for fact in facts:
        if fact.form_code not in check.form_codes:
            continue
        if fact.uln is not None and fact.value > fact.uln * check.factor:
            bound = f"above {check.factor} × ULN ({fact.uln} {fact.unit})"
        elif fact.lln is not None and fact.lln > 0 and fact.value < fact.lln / check.factor:
            bound = f"below LLN ÷ {check.factor} ({fact.lln} {fact.unit})"
        else:
            continue
        out.append(Finding(
            check.code, fact.patient_pk, fact.record, fact.field,
            f"{fact.label} {fact.value} {fact.unit} is {bound}: please check the value and "
            "its unit.",
        ))
    return out


_EVALUATORS = {
    WeightChangeCheck: (WeightFact, weight_findings),
    VisitWindowCheck: (VisitDateFact, visit_window_findings),
    LabRangeCheck: (LabFact, lab_findings),
}


def evaluate(checks_by_study, facts):
    """Findings for ``facts`` under each study's checks (``{study code: checks}``)."""
    findings = []
    for study_code, checks in checks_by_study.items():
        for check in checks:
            fact_type, evaluator = _EVALUATORS[type(check)]
            mine = [f for f in facts if isinstance(f, fact_type) and f.study_code == study_code]
            findings.extend(evaluator(check, mine))
    return findings
