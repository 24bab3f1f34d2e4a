"""Ovarian function suppression at enrolment (ICRG0201 inclusion 2: pre/peri-menopausal women
"with surgical oophorectomy (preferred) or analogs of LHRH"), for an aromatase inhibitor."""

from eligibility.domain.enrolment import ovarian_suppression_error
from trialsite.protocols import icrg0201, palmares2

PLAN = icrg0201.PROTOCOL.enrolment
LETROZOLE = icrg0201.PROTOCOL.drug("LETROZOLE")


def error(status, method, lhrh, drug=LETROZOLE, plan=PLAN):
    values = {"menopausal_status": status, "ovarian_suppression": method}
    return ovarian_suppression_error(plan, values, drug, lhrh)


def test_premenopausal_on_an_aromatase_inhibitor_without_suppression_is_refused():
    message = error("PRE", "NONE", False)
    assert "pre-menopausal" in message and "Letrozole" in message
    assert "LHRH analogue" in message and "oophorectomy" in message


def test_perimenopausal_on_an_aromatase_inhibitor_without_suppression_is_refused():
    assert "peri-menopausal" in error("PERI", "NONE", False)


def test_screening_that_planned_lhrh_still_needs_it_recorded_at_enrolment():
    assert error("PRE", "LHRH", False)
    assert error("PRE", "LHRH", True) == ""


def test_an_oophorectomy_in_the_screening_is_suppression_enough():
    assert error("PERI", "OOPHORECTOMY", False) == ""


def test_postmenopausal_women_need_no_suppression():
    assert error("POST", "NONE", False) == ""


def test_a_study_that_does_not_declare_the_rule_is_not_checked():
    drug = palmares2.PROTOCOL.drug("LETROZOLE")
    assert error("PRE", "NONE", False, drug=drug, plan=palmares2.PROTOCOL.enrolment) == ""
