"""Glue between entered screening values and the engine (pure: no ORM, no clock)."""

from datetime import date
from decimal import Decimal

from eligibility.domain.engine import evaluate
from eligibility.domain.variables import parse_values
from trialsite.esign import digest
from trialsite.protocols.criteria import VariableType

#: Variables that come from the patient's registration, not from the screening form.
REGISTRATION_VARIABLES = ("sex", "birth_date", "consent_date")
#: Variables of the prescreen file that the screening form does not collect.
FILE_ONLY_VARIABLES = ("candidate_id",)


def canonical(value):
    """Return the stored text of a typed value: ISO dates, plain decimals, codes as they are."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def with_registration(values, *, sex, birth_date, consent_date):
    """Return ``values`` with the registration facts, which always win over entered ones."""
    return {**values, "sex": sex, "birth_date": canonical(birth_date),
            "consent_date": canonical(consent_date)}


def with_retired_answers(values, retired):
    """Return ``values`` with each retired answer carried into the question that replaced it.

    Only when the replacement has no answer of its own; the retired value itself stays as
    stored, so the record and its history still show what was answered at the time.
    """
    carried = dict(values)
    for answer in retired:
        if values.get(answer.variable) == answer.code and not values.get(answer.replacement):
            carried[answer.replacement] = answer.replacement_code
    return carried


def evaluate_stored(variables, criteria, values):
    """Evaluate stored canonical values (they parse cleanly: they were validated on entry)."""
    parsed = parse_values(variables, values)
    return evaluate(variables, criteria, parsed.values)


def values_hash(values):
    """A digest of the values, so a confirmation can tell whether they changed since."""
    return digest({k: v for k, v in values.items() if v not in ("", None)})


def example_values(protocol, consent_date, *, failing=False, incomplete=False):
    """The protocol's example candidate, its dates moved to this patient's consent date."""
    example = dict(protocol.example_candidate)
    if failing:
        example.update(protocol.example_failure)
    shift = consent_date - date.fromisoformat(example["consent_date"])
    dates = {v.name for v in protocol.eligibility_variables if v.type == VariableType.DATE}
    values = {
        name: (date.fromisoformat(value) + shift).isoformat() if name in dates and value else value
        for name, value in example.items()
    }
    if incomplete:
        for name in ("lab_date", "neutrophils_g_l", "platelets_g_l", "er_percent"):
            values.pop(name, None)
    return values
