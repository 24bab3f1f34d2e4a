"""Refuse to start when a protocol's screening variables and criteria disagree."""

from django.core import checks

from eligibility.domain.engine import declaration_errors
from trialsite.protocols import all_protocols


@checks.register()
def check_eligibility_declarations(app_configs=None, **kwargs):
    messages = []
    for protocol in all_protocols():
        if not protocol.criteria:
            messages.append(checks.Error(f"{protocol.code}: no eligibility criteria declared",
                                         id="eligibility.E001"))
        for text in declaration_errors(protocol.eligibility_variables, protocol.criteria):
            messages.append(checks.Error(f"{protocol.code}: {text}", id="eligibility.E002"))
        plan = protocol.enrolment
        names = {v.name for v in protocol.eligibility_variables}
        if plan is None:
            messages.append(checks.Error(f"{protocol.code}: no enrolment plan declared",
                                         id="eligibility.E003"))
            continue
        for name in filter(None, (plan.day1_variable, plan.ovarian_suppression_variable)):
            if name not in names:
                messages.append(checks.Error(
                    f"{protocol.code}: enrolment names unknown screening variable {name!r}",
                    id="eligibility.E004"))
        declared = {d.code for d in protocol.drugs}
        for code in plan.cdk46i_drugs + plan.endocrine_drugs:
            if code not in declared:
                messages.append(checks.Error(
                    f"{protocol.code}: enrolment names undeclared drug {code!r}",
                    id="eligibility.E005"))
    return messages
