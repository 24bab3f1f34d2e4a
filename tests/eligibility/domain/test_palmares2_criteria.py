"""PALMARES-2 criteria from a fully eligible candidate varied field by field, worked by hand."""

from datetime import date

from eligibility.domain.engine import (
    Status,
    Verdict,
    add_months,
    age_on,
    declaration_errors,
    evaluate,
)
from eligibility.domain.prescreen import format_prescreen_row, prescreen_row
from eligibility.domain.variables import parse_values
from trialsite.protocols.palmares2_eligibility import CRITERIA, EXAMPLE_CANDIDATE, VARIABLES

ELIGIBLE = {"candidate_id": "P001", **EXAMPLE_CANDIDATE}


def candidate(**changes):
    unknown = set(changes) - set(ELIGIBLE)
    assert not unknown, f"not PALMARES-2 variables: {unknown}"
    return {**ELIGIBLE, **changes}


def evaluation(**changes):
    parsed = parse_values(VARIABLES, candidate(**changes))
    assert parsed.errors == ()
    return evaluate(VARIABLES, CRITERIA, parsed.values)


def result(code, **changes):
    return evaluation(**changes).result(code)


def test_criteria_codes():
    assert [c.code for c in CRITERIA] == [
        "P-INC01", "P-INC02", "P-INC03", "P-INC04", "P-EXC01", "P-EXC02", "P-EXC03",
    ]


def test_declared_variables_are_the_agreed_names_and_declaration_is_consistent():
    assert [v.name for v in VARIABLES] == list(ELIGIBLE)
    assert declaration_errors(VARIABLES, CRITERIA) == []


def test_fully_eligible_woman_is_eligible():
    assert evaluation().verdict is Verdict.ELIGIBLE


def test_men_are_eligible_too():
    assert evaluation(sex="M").verdict is Verdict.ELIGIBLE


# --- P-INC01 hormone receptors ----------------------------------------------------------------


def test_either_receptor_exactly_1_percent_is_hr_positive():
    assert result("P-INC01", er_percent="0", pgr_percent="1").status is Status.MET
    assert result("P-INC01", er_percent="1", pgr_percent="0").status is Status.MET


def test_er_and_pgr_both_0_9_fail():
    outcome = result("P-INC01", er_percent="0.9", pgr_percent="0.9")
    assert outcome.status is Status.NOT_MET
    assert outcome.reason == "ER 0.9 % < 1 %; PgR 0.9 % < 1 %"


def test_er_negative_and_pgr_unknown_is_missing():
    outcome = result("P-INC01", er_percent="0", pgr_percent="")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("pgr_percent",))


def test_er_positive_needs_no_pgr():
    assert result("P-INC01", pgr_percent="").status is Status.MET


# --- P-INC02 HER2 -----------------------------------------------------------------------------


def test_her2_2_plus_without_amplification_passes():
    assert result("P-INC02", her2_ihc="2+", her2_ish="NEGATIVE").status is Status.MET


def test_her2_2_plus_amplified_or_3_plus_fails():
    assert result("P-INC02", her2_ihc="2+", her2_ish="POSITIVE").status is Status.NOT_MET
    assert result("P-INC02", her2_ihc="3+").status is Status.NOT_MET


# --- P-INC03 first-line CDK4/6 inhibitor with endocrine therapy -------------------------------


def test_each_cdk46_inhibitor_qualifies():
    for drug in ("PALBOCICLIB", "RIBOCICLIB", "ABEMACICLIB"):
        assert evaluation(cdk46i=drug).verdict is Verdict.ELIGIBLE, drug


def test_no_cdk46_inhibitor_fails():
    outcome = result("P-INC03", cdk46i="NONE")
    assert outcome.status is Status.NOT_MET
    assert outcome.reason == "CDK4/6 inhibitor NONE, not PALBOCICLIB, RIBOCICLIB or ABEMACICLIB"


def test_prior_systemic_treatment_for_advanced_disease_is_not_first_line():
    assert evaluation(prior_systemic_for_advanced="Y").failed_codes == ("P-INC03",)


def test_monotherapy_fails_inclusion_and_exclusion():
    assert evaluation(cdk46i_with_endocrine="N").failed_codes == ("P-EXC02", "P-INC03")


def test_adjuvant_cdk46_inhibitor_excludes():
    assert evaluation(cdk46i_adjuvant="Y").failed_codes == ("P-EXC03",)


# --- P-INC04 age ------------------------------------------------------------------------------


def test_18_on_the_day_the_cdk46_inhibitor_starts_passes():
    assert result("P-INC04", birth_date="2005-09-15").status is Status.MET


def test_17_at_cdk46_start_fails_even_if_18_at_consent():
    outcome = result("P-INC04", birth_date="2005-09-16")
    assert outcome.status is Status.NOT_MET
    assert outcome.reason == "Age 17 years on CDK4/6 inhibitor start date 2023-09-15 < 18 years"


def test_age_is_taken_at_consent_when_the_inhibitor_has_not_started():
    changes = {"cdk46i_start_date": "", "consent_date": "2024-05-10"}
    assert result("P-INC04", birth_date="2006-05-10", **changes).status is Status.MET
    assert result("P-INC04", birth_date="2006-05-11", **changes).status is Status.NOT_MET


def test_age_without_any_reference_date_is_missing():
    outcome = result("P-INC04", cdk46i_start_date="", consent_date="")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("cdk46i_start_date",))


# --- P-EXC01 three months of follow-up --------------------------------------------------------


def test_cutoff_on_3_month_anniversary_of_start_passes():
    outcome = result("P-EXC01", cdk46i_start_date="2024-01-15", data_cutoff_date="2024-04-15")
    assert outcome.status is Status.MET


def test_cutoff_one_day_before_3_month_anniversary_fails():
    outcome = result("P-EXC01", cdk46i_start_date="2024-01-15", data_cutoff_date="2024-04-14")
    assert outcome.status is Status.NOT_MET
    assert outcome.reason == (
        "CDK4/6 inhibitor start date 2024-01-15 to Data cut-off date 2024-04-14: less than "
        "3 months (3 months reached on 2024-04-15)"
    )


def test_start_on_30_november_completes_3_months_on_1_march():
    # 30 February does not exist: the 3 months have elapsed only on 1 March.
    start = {"cdk46i_start_date": "2022-11-30"}
    assert result("P-EXC01", **start, data_cutoff_date="2023-02-28").status is Status.NOT_MET
    assert result("P-EXC01", **start, data_cutoff_date="2023-03-01").status is Status.MET


def test_missing_cutoff_is_missing():
    outcome = result("P-EXC01", data_cutoff_date="")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("data_cutoff_date",))


# --- calendar helpers the criteria rely on ----------------------------------------------------


def test_add_months_keeps_the_day_or_rolls_to_the_next_month():
    assert add_months(date(2024, 1, 15), 3) == date(2024, 4, 15)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 3, 1)
    assert add_months(date(2023, 12, 31), 2) == date(2024, 3, 1)  # 2024 has 29 February
    assert add_months(date(2024, 2, 29), 12) == date(2025, 3, 1)
    assert add_months(date(2022, 11, 15), 14) == date(2024, 1, 15)


def test_age_counts_completed_years():
    assert age_on(date(1970, 6, 15), date(2024, 6, 14)) == 53
    assert age_on(date(1970, 6, 15), date(2024, 6, 15)) == 54
    assert age_on(date(2008, 2, 29), date(2024, 2, 29)) == 16


# --- prescreen --------------------------------------------------------------------------------


def test_prescreen_rows_for_palmares2():
    rows = [
        candidate(),
        candidate(candidate_id="P002", sex="M", cdk46i_adjuvant="Y"),
        candidate(candidate_id="P003", cdk46i="PALBO"),
    ]
    lines = [format_prescreen_row(prescreen_row(VARIABLES, CRITERIA, raw)) for raw in rows]
    assert lines == [
        "P001,ELIGIBLE,,",
        "P002,NOT_ELIGIBLE,P-EXC03,",
        "P003,INCOMPLETE,,cdk46i",
    ]
    assert prescreen_row(VARIABLES, CRITERIA, rows[2]).errors == (
        "cdk46i: unknown code 'PALBO' (expected one of PALBOCICLIB, RIBOCICLIB, ABEMACICLIB, "
        "NONE)",
    )
