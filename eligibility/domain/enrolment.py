"""Rules of the treatment recorded at enrolment (pure: no ORM, no clock).

An aromatase inhibitor does not suppress oestrogen made by functioning ovaries: pre- and
peri-menopausal women take it only with ovarian function suppression, by a surgical
oophorectomy or an LHRH analogue (ICRG0201 inclusion 2; ESO-ESMO ABC: OFS/OFA combined with
the endocrine therapy). So enrolment on an aromatase inhibitor refuses such a patient unless
the suppression is recorded: an oophorectomy in the screening, or the LHRH analogue at
enrolment.
"""

from __future__ import annotations

from trialsite.protocols.base import DrugClass


def ovarian_suppression_error(plan, screening_values, endocrine_drug, lhrh_at_enrolment):
    """Return why the enrolment's treatment lacks the ovarian suppression it needs, or "".

    ``plan`` is the protocol's ``EnrolmentPlan``, ``screening_values`` the stored screening
    values, ``endocrine_drug`` the protocol ``Drug`` chosen, ``lhrh_at_enrolment`` whether the
    LHRH analogue is recorded with it.
    """
    if not plan.suppression_needed_codes or endocrine_drug is None:
        return ""
    if endocrine_drug.drug_class != DrugClass.AROMATASE_INHIBITOR:
        return ""
    status = screening_values.get(plan.ovarian_suppression_variable)
    if status not in plan.suppression_needed_codes:
        return ""
    method = screening_values.get(plan.suppression_method_variable)
    if method == plan.oophorectomy_code or lhrh_at_enrolment:
        return ""
    return (
        f"A {status.lower()}-menopausal patient takes {endocrine_drug.name} only with ovarian "
        "function suppression: record the LHRH analogue here, or the surgical oophorectomy "
        "in the screening."
    )
