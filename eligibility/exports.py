"""The screening dataset: the eligibility variables under the protocols' own names, and verdicts.

Columns are the union of every declared protocol's screening variables, in declaration order, so
the file has the same columns whatever the study; a variable another study does not collect is
empty. Direct identifiers collected at screening (the birth date, the pre-screening candidate
id) are left out: the subjects dataset carries the age.
"""

from django.db.models import TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from eligibility.domain.engine import Verdict
from eligibility.models import Screening
from trialsite.exports.registry import (
    Dataset,
    Source,
    Var,
    bookkeeping,
    register,
    subject_keys,
)
from trialsite.protocols import all_protocols
from trialsite.protocols.criteria import VariableType

#: Screening variables that identify a person; never exported.
DIRECT_IDENTIFIERS = frozenset({"birth_date", "candidate_id"})

_TYPES = {VariableType.TEXT: "text", VariableType.DATE: "date", VariableType.DECIMAL: "decimal",
          VariableType.INTEGER: "integer", VariableType.CODE: "text"}


def protocol_variables():
    """Each screening variable once, in the order the protocols declare them."""
    seen = {}
    for protocol in all_protocols():
        for variable in protocol.eligibility_variables:
            if variable.name not in DIRECT_IDENTIFIERS:
                seen.setdefault(variable.name, variable)
    return tuple(seen.values())


def _value_var(variable):
    return Var(variable.name, variable.label, _TYPES[variable.type],
               KT(f"values__{variable.name}"), unit=variable.unit,
               codes=tuple((c.code, c.label) for c in variable.choices),
               description=variable.help_text)


VARIABLES = (
    *subject_keys(),
    Var("verdict", "Eligibility verdict",
        codes=tuple((v.value, v.value.replace("_", " ")) for v in Verdict)),
    Var("failed_criteria", "Failed criteria (JSON list of criterion codes)",
        source=Cast("failed_criteria", TextField())),
    Var("missing_variables", "Missing data (JSON list of variable names)",
        source=Cast("missing_variables", TextField())),
    Var("confirmed_at", "Eligibility confirmed at (UTC)", "datetime"),
    Var("screen_failed_at", "Screen failure recorded at (UTC)", "datetime"),
    *(_value_var(v) for v in protocol_variables()),
    *bookkeeping(),
)

register(Dataset(
    name="screening",
    label="Screening",
    description="One row per screened patient: every eligibility variable under the "
                "protocol's name (values in the protocol's unit; dates ISO 8601; coded answers "
                "as codes) and the verdict computed from them.",
    variables=VARIABLES,
    sources=(Source(lambda: Screening.objects.all(), VARIABLES, site_path="patient__site",
                    study_path="patient__site__study"),),
    order_by=("site", "subject_id"),
    odm_form="screening",
))
