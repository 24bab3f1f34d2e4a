"""ICRG0201 criteria, one boundary at a time, from a fully eligible candidate varied field by field.

Expected values are worked out by hand from the seed's rules (registration on 2024-03-20).
"""

import csv
import inspect
import io

from eligibility.domain import engine
from eligibility.domain.engine import (
    Status,
    Verdict,
    declaration_errors,
    evaluate,
)
from eligibility.domain.prescreen import format_prescreen_row, prescreen_row
from eligibility.domain.variables import parse_values
from trialsite.protocols.icrg0201_eligibility import CRITERIA, EXAMPLE_CANDIDATE, VARIABLES

ELIGIBLE = {"candidate_id": "C001", **EXAMPLE_CANDIDATE}

#: A pre-menopausal woman on an LHRH analogue, of childbearing potential, tested 5 days before D1.
CHILDBEARING = {
    "birth_date": "1985-02-10",
    "menopausal_status": "PRE",
    "ovarian_suppression": "LHRH",
    "childbearing_potential": "Y",
    "pregnancy_test": "NEGATIVE",
    "pregnancy_test_date": "2024-03-15",
    "contraception_agreed": "Y",
}


def candidate(**changes):
    unknown = set(changes) - set(ELIGIBLE)
    assert not unknown, f"not ICRG0201 variables: {unknown}"
    return {**ELIGIBLE, **changes}


def evaluation(**changes):
    parsed = parse_values(VARIABLES, candidate(**changes))
    assert parsed.errors == ()
    return evaluate(VARIABLES, CRITERIA, parsed.values)


def result(code, **changes):
    return evaluation(**changes).result(code)


def status(code, **changes):
    return result(code, **changes).status


# --- the declaration --------------------------------------------------------------------------


def test_criteria_codes_follow_the_seed_lists():
    codes = [c.code for c in CRITERIA]
    assert codes == (
        ["AGE"] + [f"INC{n:02}" for n in range(1, 16)] + [f"EXC{n:02}" for n in range(1, 19)]
    )


def test_declared_variables_are_the_agreed_names():
    names = [v.name for v in VARIABLES]
    assert names == list(ELIGIBLE)


def test_declaration_is_consistent_and_every_criterion_carries_its_seed_text():
    assert declaration_errors(VARIABLES, CRITERIA) == []
    for criterion in CRITERIA:
        assert criterion.text.strip()
        assert criterion.variables


def test_engine_never_names_a_study_or_criterion_code():
    source = inspect.getsource(engine)
    for word in ("ICRG", "PALMARES", "INC0", "EXC0", "neutrophil", "hiv"):
        assert word not in source


# --- overall verdict --------------------------------------------------------------------------


def test_fully_eligible_candidate_is_eligible_with_every_criterion_met():
    result_ = evaluation()
    assert result_.verdict is Verdict.ELIGIBLE
    assert {r.status for r in result_.results} == {Status.MET}
    assert result_.failed_codes == ()
    assert result_.missing_variables == ()


def test_not_eligible_beats_incomplete_and_lists_every_failure():
    result_ = evaluation(neutrophils_g_l="1.2", sex="M", platelets_g_l="")
    assert result_.verdict is Verdict.NOT_ELIGIBLE
    assert result_.failed_codes == ("EXC01", "INC10")
    assert result_.missing_variables == ()  # INC10 fails on neutrophils whatever the platelets
    assert result_.summary == "Not eligible: EXC01, INC10 not met"


def test_not_eligible_with_other_data_missing_still_lists_the_missing():
    result_ = evaluation(stage="IIIA", hiv="")
    assert result_.verdict is Verdict.NOT_ELIGIBLE
    assert result_.failed_codes == ("INC07",)
    assert result_.missing_variables == ("hiv",)


def test_incomplete_lists_what_is_missing():
    result_ = evaluation(weight_kg="", who_ps="", hbv="NOT_DONE")
    # Weight is needed only to compute a clearance, and creatinine is within 1.5 × ULN.
    assert result_.verdict is Verdict.INCOMPLETE
    assert result_.missing_variables == ("hbv", "who_ps")
    assert result_.result("INC03").status is Status.MISSING
    assert result_.result("INC03").missing == ("who_ps",)


# --- AGE and sex ------------------------------------------------------------------------------


def test_age_18_on_the_18th_birthday_passes_and_a_day_younger_fails():
    assert status("AGE", birth_date="2006-03-20") is Status.MET
    outcome = result("AGE", birth_date="2006-03-21")
    assert outcome.status is Status.NOT_MET
    assert "Age 17 years" in outcome.reason


def test_age_born_29_february_turns_18_on_1_march_in_a_common_year():
    common_year = {"birth_date": "2008-02-29", "lab_date": "2026-02-20"}
    assert status("AGE", registration_date="2026-02-28", **common_year) is Status.NOT_MET
    assert status("AGE", registration_date="2026-03-01", **common_year) is Status.MET


def test_age_missing_birth_date_is_missing():
    outcome = result("AGE", birth_date="")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("birth_date",))


def test_men_are_excluded():
    outcome = result("EXC01", sex="M")
    assert outcome.status is Status.NOT_MET
    assert outcome.reason == "Sex M, not F"


# --- INC01 consent ----------------------------------------------------------------------------


def test_consent_on_the_lab_day_passes_and_a_day_after_fails():
    assert status("INC01", consent_date="2024-03-10") is Status.MET
    outcome = result("INC01", consent_date="2024-03-11")
    assert outcome.status is Status.NOT_MET
    assert "is after Screening lab date 2024-03-10" in outcome.reason


def test_consent_after_the_pregnancy_test_fails():
    changes = {**CHILDBEARING, "consent_date": "2024-03-08", "lab_date": "2024-03-16"}
    assert status("INC01", **{**changes, "pregnancy_test_date": "2024-03-16"}) is Status.MET
    outcome = result("INC01", **{**changes, "pregnancy_test_date": "2024-03-07"})
    assert outcome.status is Status.NOT_MET
    assert "is after Pregnancy test date 2024-03-07" in outcome.reason


def test_consent_missing_is_missing():
    outcome = result("INC01", consent_date="")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("consent_date",))


# --- INC02 menopausal status ------------------------------------------------------------------


def test_postmenopausal_passes_without_ovarian_suppression():
    assert status("INC02", ovarian_suppression="") is Status.MET


def test_pre_or_perimenopausal_with_oophorectomy_or_lhrh_passes():
    for menopause in ("PRE", "PERI"):
        for suppression in ("OOPHORECTOMY", "LHRH"):
            changes = {"menopausal_status": menopause, "ovarian_suppression": suppression}
            assert status("INC02", **changes) is Status.MET, changes


def test_premenopausal_without_ovarian_suppression_fails():
    outcome = result("INC02", menopausal_status="PRE", ovarian_suppression="NONE")
    assert outcome.status is Status.NOT_MET
    assert "Ovarian function suppression NONE, not OOPHORECTOMY or LHRH" in outcome.reason


def test_premenopausal_with_suppression_unknown_is_missing():
    outcome = result("INC02", menopausal_status="PERI", ovarian_suppression="")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("ovarian_suppression",))


# --- INC03-INC05, INC07, INC09 ----------------------------------------------------------------


def test_performance_status_2_passes():
    assert status("INC03", who_ps="2") is Status.MET


def test_performance_status_3_fails():
    outcome = result("INC03", who_ps="3")
    assert (outcome.status, outcome.reason) == (Status.NOT_MET, "WHO performance status 3 ≥ 3")


def test_histology_not_confirmed_fails():
    assert status("INC04", histology_confirmed="N") is Status.NOT_MET


def test_er_exactly_1_percent_passes_inclusion_and_exclusion():
    assert status("INC05", er_percent="1") is Status.MET
    assert status("EXC03", er_percent="1") is Status.MET


def test_er_0_9_percent_is_triple_negative_and_fails_both():
    outcome = evaluation(er_percent="0.9")
    assert outcome.failed_codes == ("EXC03", "INC05")
    assert outcome.result("INC05").reason == "ER 0.9 % < 1 %"


def test_stage_iiib_or_iv_passes_and_other_stages_fail():
    assert status("INC07", stage="IIIB") is Status.MET
    assert status("INC07", stage="IV") is Status.MET
    for stage in ("I", "II", "IIIA", "IIIC"):
        outcome = result("INC07", stage=stage)
        assert (outcome.status, outcome.reason) == (
            Status.NOT_MET, f"Stage {stage}, not IIIB or IV"
        )


def test_non_evaluable_disease_fails_inclusion_9_and_exclusion_7():
    assert evaluation(measurable_or_evaluable="N").failed_codes == ("EXC06", "INC09")


# --- INC06 / EXC02 HER2 -----------------------------------------------------------------------


#: Every IHC × ISH answer ("" is unanswered): HER2 negative per ASCO/CAP, as the seed reads it.
HER2_TABLE = {
    ("0", ""): Status.MET, ("0", "NEGATIVE"): Status.MET,
    ("0", "POSITIVE"): Status.MET, ("0", "NOT_DONE"): Status.MET,
    ("1+", ""): Status.MET, ("1+", "NEGATIVE"): Status.MET,
    ("1+", "POSITIVE"): Status.MET, ("1+", "NOT_DONE"): Status.MET,
    ("2+", ""): Status.MISSING, ("2+", "NEGATIVE"): Status.MET,
    ("2+", "POSITIVE"): Status.NOT_MET, ("2+", "NOT_DONE"): Status.NOT_MET,
    ("3+", ""): Status.NOT_MET, ("3+", "NEGATIVE"): Status.NOT_MET,
    ("3+", "POSITIVE"): Status.NOT_MET, ("3+", "NOT_DONE"): Status.NOT_MET,
}


def test_her2_every_ihc_and_ish_combination():
    for (ihc, ish), expected in HER2_TABLE.items():
        outcome = evaluation(her2_ihc=ihc, her2_ish=ish)
        assert outcome.result("INC06").status is expected, (ihc, ish)
        assert outcome.result("EXC02").status is expected, (ihc, ish)


def test_her2_ihc_1_reason_says_ish_not_applicable():
    assert result("INC06", her2_ihc="1+").reason == (
        "HER2 IHC 1+: HER2 negative (ISH not applicable)"
    )


def test_her2_ihc_2_with_ish_not_done_fails_as_unknown_status():
    outcome = evaluation(her2_ihc="2+", her2_ish="NOT_DONE")
    assert outcome.failed_codes == ("EXC02", "INC06")
    assert outcome.result("EXC02").reason == (
        "HER2 IHC 2+ with HER2 ISH NOT_DONE: not shown HER2 negative"
    )


def test_her2_ihc_2_without_ish_asks_for_ish_and_without_ihc_for_ihc():
    outcome = result("INC06", her2_ihc="2+", her2_ish="")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("her2_ish",))
    outcome = result("INC06", her2_ihc="")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("her2_ihc",))


# --- INC08 first-line setting and endocrine resistance ----------------------------------------

#: On adjuvant HT since 2021-06-15: its 2nd anniversary is 2023-06-15; it ended 2023-12-31.
ON_ADJUVANT = {
    "disease_setting": "RELAPSE",
    "adjuvant_ht_start": "2021-06-15",
    "adjuvant_ht_end": "2023-12-31",
}
#: Adjuvant HT ended 2022-01-10: its 12-month anniversary is 2023-01-10.
AFTER_ADJUVANT = {
    "disease_setting": "RELAPSE",
    "adjuvant_ht_start": "2017-01-10",
    "adjuvant_ht_end": "2022-01-10",
}


def test_de_novo_without_prior_systemic_treatment_passes():
    assert status("INC08", disease_setting="DE_NOVO") is Status.MET


def test_de_novo_with_prior_systemic_treatment_fails():
    assert status("INC08", prior_systemic_for_advanced="Y") is Status.NOT_MET


def test_relapse_one_day_before_2nd_anniversary_of_adjuvant_ht_is_primary_resistance():
    outcome = result("INC08", **ON_ADJUVANT, relapse_date="2023-06-14")
    assert outcome.status is Status.NOT_MET
    assert "primary endocrine resistance" in outcome.reason
    assert status("INC08", **ON_ADJUVANT, relapse_date="2021-06-15") is Status.NOT_MET


def test_relapse_on_2nd_anniversary_of_adjuvant_ht_is_secondary_resistance():
    outcome = result("INC08", **ON_ADJUVANT, relapse_date="2023-06-15")
    assert outcome.status is Status.MET
    assert "secondary endocrine resistance" in outcome.reason


def test_relapse_on_last_day_of_short_adjuvant_ht_counts_as_on_treatment():
    changes = {**ON_ADJUVANT, "adjuvant_ht_end": "2022-05-01"}
    assert status("INC08", **changes, relapse_date="2022-05-01") is Status.NOT_MET


def test_relapse_after_stopping_short_adjuvant_ht_within_12_months_is_secondary():
    changes = {**ON_ADJUVANT, "adjuvant_ht_end": "2022-05-01"}
    outcome = result("INC08", **changes, relapse_date="2022-05-02")
    assert outcome.status is Status.MET
    assert "secondary endocrine resistance" in outcome.reason


def test_relapse_on_12_month_anniversary_of_adjuvant_ht_end_is_secondary():
    outcome = result("INC08", **AFTER_ADJUVANT, relapse_date="2023-01-10")
    assert outcome.status is Status.MET
    assert "within 12 months" in outcome.reason


def test_relapse_day_after_12_month_anniversary_is_endocrine_sensitive():
    outcome = result("INC08", **AFTER_ADJUVANT, relapse_date="2023-01-11")
    assert outcome.status is Status.MET
    assert "endocrine sensitive" in outcome.reason


def test_relapse_with_prior_systemic_treatment_fails():
    changes = {**AFTER_ADJUVANT, "prior_systemic_for_advanced": "Y"}
    assert status("INC08", **changes, relapse_date="2023-06-01") is Status.NOT_MET


def test_primary_resistance_fails_even_with_prior_treatment_unknown():
    changes = {**ON_ADJUVANT, "prior_systemic_for_advanced": ""}
    assert status("INC08", **changes, relapse_date="2022-01-01") is Status.NOT_MET


def test_relapse_without_an_answer_on_adjuvant_ht_asks_for_it():
    outcome = result("INC08", disease_setting="RELAPSE", relapse_date="2023-01-01")
    assert outcome.status is Status.MISSING
    assert outcome.missing == ("adjuvant_ht",)


def test_relapse_with_adjuvant_ht_but_no_dates_is_missing_the_dates():
    outcome = result("INC08", disease_setting="RELAPSE", adjuvant_ht="Y",
                     relapse_date="2023-01-01")
    assert outcome.status is Status.MISSING
    assert outcome.missing == ("adjuvant_ht_start", "adjuvant_ht_end")


def test_relapse_without_adjuvant_ht_is_endocrine_naive_and_eligible():
    # ESO-ESMO ABC 4: primary/secondary resistance are defined only after endocrine therapy;
    # inclusion 8 excludes only primary resistance. Decided, never missing for ever.
    outcome = result("INC08", disease_setting="RELAPSE", adjuvant_ht="N",
                     relapse_date="2023-01-01")
    assert outcome.status is Status.MET
    assert "endocrine-naive" in outcome.reason
    assert "ESO-ESMO" in next(c for c in CRITERIA if c.code == "INC08").note


def test_relapse_without_adjuvant_ht_but_prior_treatment_for_advanced_disease_fails():
    assert status("INC08", disease_setting="RELAPSE", adjuvant_ht="N",
                  prior_systemic_for_advanced="Y") is Status.NOT_MET


def test_no_adjuvant_ht_with_adjuvant_dates_asks_to_check_the_answers():
    outcome = result("INC08", **ON_ADJUVANT, adjuvant_ht="N", relapse_date="2023-06-15")
    assert outcome.status is Status.MISSING and "check the answers" in outcome.reason


def test_relapse_with_dates_but_no_answer_on_adjuvant_ht_is_read_from_the_dates():
    # Screenings saved before the question existed gave the dates only.
    outcome = result("INC08", **ON_ADJUVANT, relapse_date="2023-06-15")
    assert outcome.status is Status.MET and "secondary endocrine resistance" in outcome.reason


def test_relapse_dated_before_adjuvant_start_is_missing_check_dates():
    outcome = result("INC08", **ON_ADJUVANT, relapse_date="2021-01-01")
    assert outcome.status is Status.MISSING
    assert "check the dates" in outcome.reason


def test_de_novo_needs_no_adjuvant_dates_and_setting_missing_is_missing():
    assert status("INC08", disease_setting="DE_NOVO", adjuvant_ht_start="") is Status.MET
    outcome = result("INC08", disease_setting="")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("disease_setting",))


# --- INC10 haematology ------------------------------------------------------------------------


def test_neutrophils_exactly_1_5_pass_and_1_49_fail():
    assert status("INC10", neutrophils_g_l="1.5") is Status.MET
    assert status("INC10", neutrophils_g_l="1.49") is Status.NOT_MET


def test_failed_lab_reason_states_value_and_limit():
    assert result("INC10", neutrophils_g_l="1.2").reason == "Neutrophils 1.2 G/L < 1.5 G/L"


def test_platelets_exactly_100_pass_and_99_9_fail():
    assert status("INC10", platelets_g_l="100") is Status.MET
    assert status("INC10", platelets_g_l="99.9") is Status.NOT_MET


def test_leucocytes_exactly_3_0_fail_and_3_1_pass():
    outcome = result("INC10", leukocytes_g_l="3.0")
    assert (outcome.status, outcome.reason) == (Status.NOT_MET, "Leucocytes 3 G/L ≤ 3 G/L")
    assert status("INC10", leukocytes_g_l="3.1") is Status.MET


def test_haemoglobin_exactly_9_fails_and_9_1_passes():
    assert status("INC10", hemoglobin_g_dl="9.0") is Status.NOT_MET
    assert status("INC10", hemoglobin_g_dl="9.1") is Status.MET


def test_two_failing_counts_are_both_in_the_reason():
    outcome = result("INC10", neutrophils_g_l="1.0", hemoglobin_g_dl="8")
    assert outcome.reason == "Neutrophils 1 G/L < 1.5 G/L; Haemoglobin 8 g/dL ≤ 9 g/dL"


def test_missing_counts_are_listed():
    outcome = result("INC10", platelets_g_l="", leukocytes_g_l="")
    assert outcome.status is Status.MISSING
    assert outcome.missing == ("platelets_g_l", "leukocytes_g_l")


# --- INC11 liver, INC13 calcium ---------------------------------------------------------------


def test_bilirubin_exactly_1_5_times_uln_passes():
    # ULN 17 µmol/L: 1.5 × 17 = 25.5 µmol/L.
    outcome = result("INC11", bilirubin="25.5")
    assert outcome.status is Status.MET
    assert "Total bilirubin 25.5 µmol/L ≤ 1.5 × ULN (25.5 µmol/L)" in outcome.reason


def test_bilirubin_above_1_5_times_uln_fails():
    outcome = result("INC11", bilirubin="25.6")
    assert outcome.status is Status.NOT_MET
    assert outcome.reason == "Total bilirubin 25.6 µmol/L > 1.5 × ULN (25.5 µmol/L)"


def test_ast_alt_alp_exactly_2_5_times_uln_pass_and_above_fail():
    # ULN 40 U/L for AST and ALT: 2.5 × 40 = 100 U/L; ALP ULN 120 U/L: 2.5 × 120 = 300 U/L.
    for variable, limit, above in (("ast", "100", "100.1"), ("alt", "100", "101"),
                                   ("alp", "300", "300.5")):
        assert status("INC11", **{variable: limit}) is Status.MET, variable
        assert status("INC11", **{variable: above}) is Status.NOT_MET, variable


def test_liver_value_without_its_uln_is_missing():
    outcome = result("INC11", alt_uln="")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("alt_uln",))


def test_calcium_equal_to_lln_passes_and_below_fails():
    assert status("INC13", calcium="2.15") is Status.MET
    outcome = result("INC13", calcium="2.14")
    assert (outcome.status, outcome.reason) == (
        Status.NOT_MET, "Calcium 2.14 mmol/L < LLN (2.15 mmol/L)"
    )


# --- INC12 creatinine and clearance -----------------------------------------------------------


def test_creatinine_exactly_1_5_times_uln_passes_without_clearance():
    # ULN 90 µmol/L: 1.5 × 90 = 135 µmol/L.
    assert status("INC12", creatinine="135", weight_kg="") is Status.MET


def test_creatinine_above_1_5_uln_with_clearance_40_passes():
    assert status("INC12", creatinine="136", creatinine_clearance_ml_min="40") is Status.MET


def test_creatinine_above_1_5_uln_with_clearance_39_9_fails():
    outcome = result("INC12", creatinine="136", creatinine_clearance_ml_min="39.9")
    assert outcome.status is Status.NOT_MET
    assert "Creatinine clearance 39.9 mL/min < 40 mL/min" in outcome.reason


def test_clearance_is_computed_by_cockcroft_gault_when_not_given():
    # Woman aged 53 on the lab date, 68 kg: (140 − 53) × 68 × 1.04 / 150 = 41.0 mL/min.
    outcome = result("INC12", creatinine="150")
    assert outcome.status is Status.MET
    assert "41 mL/min (computed by Cockcroft–Gault) ≥ 40 mL/min" in outcome.reason


def test_computed_clearance_below_40_fails():
    # (140 − 53) × 68 × 1.04 / 160 = 38.45 → 38.5 mL/min.
    outcome = result("INC12", creatinine="160")
    assert outcome.status is Status.NOT_MET
    assert "38.5 mL/min (computed by Cockcroft–Gault) < 40 mL/min" in outcome.reason


def test_computed_clearance_uses_the_male_constant_for_a_man():
    # (140 − 53) × 68 × 1.23 / 160 = 45.48 → 45.5 mL/min.
    outcome = result("INC12", creatinine="160", sex="M")
    assert outcome.status is Status.MET
    assert "45.5 mL/min" in outcome.reason


def test_clearance_cannot_be_computed_without_weight():
    outcome = result("INC12", creatinine="150", weight_kg="")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("weight_kg",))


# --- the 28-day lab window --------------------------------------------------------------------


LAB_CODES = ("INC10", "INC11", "INC12", "INC13")


def test_labs_28_days_before_registration_count_and_on_registration_day_too():
    outcome = evaluation(lab_date="2024-02-21", consent_date="2024-02-01")
    assert outcome.verdict is Verdict.ELIGIBLE
    assert evaluation(lab_date="2024-03-20").verdict is Verdict.ELIGIBLE


def test_labs_29_days_before_registration_are_missing_and_must_be_repeated():
    outcome = evaluation(lab_date="2024-02-20", consent_date="2024-02-01")
    for code in LAB_CODES:
        lab = outcome.result(code)
        assert (lab.status, lab.missing) == (Status.MISSING, ("lab_date",))
        assert lab.reason == (
            "Labs dated 2024-02-20, 29 days before Registration date (planned D1) 2024-03-20: "
            "older than 28 days, repeat them"
        )
    assert outcome.verdict is Verdict.INCOMPLETE
    assert outcome.missing_variables == ("lab_date",)


def test_stale_labs_are_missing_even_when_a_value_would_fail():
    outcome = result("INC10", lab_date="2024-02-01", neutrophils_g_l="0.5")
    assert outcome.status is Status.MISSING


def test_labs_after_registration_are_missing():
    outcome = result("INC10", lab_date="2024-03-21")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("lab_date",))
    assert "after Registration date (planned D1) 2024-03-20" in outcome.reason


# --- INC14 / EXC04 / EXC05 pregnancy and contraception ----------------------------------------


def test_woman_of_childbearing_potential_with_recent_negative_test_is_eligible():
    assert evaluation(**CHILDBEARING).verdict is Verdict.ELIGIBLE


def test_pregnancy_test_7_days_before_or_on_registration_day_passes():
    for tested in ("2024-03-13", "2024-03-20"):
        changes = {**CHILDBEARING, "pregnancy_test_date": tested}
        assert status("INC14", **changes) is Status.MET, tested


def test_pregnancy_test_8_days_before_registration_is_missing_repeat_it():
    outcome = result("INC14", **{**CHILDBEARING, "pregnancy_test_date": "2024-03-12"})
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("pregnancy_test_date",))
    assert "older than 7 days, repeat it" in outcome.reason


def test_pregnancy_test_after_registration_is_missing():
    outcome = result("INC14", **{**CHILDBEARING, "pregnancy_test_date": "2024-03-21"})
    assert outcome.status is Status.MISSING


def test_pregnancy_test_not_done_is_missing():
    outcome = result("INC14", **{**CHILDBEARING, "pregnancy_test": "NOT_DONE"})
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("pregnancy_test",))


def test_positive_pregnancy_test_fails_inclusion_14_and_exclusion_4():
    changes = {**CHILDBEARING, "pregnancy_test": "POSITIVE"}
    assert evaluation(**changes).failed_codes == ("EXC04", "INC14")


def test_refusing_contraception_fails_inclusion_14_and_exclusion_5():
    changes = {**CHILDBEARING, "contraception_agreed": "N"}
    assert evaluation(**changes).failed_codes == ("EXC05", "INC14")


def test_no_childbearing_potential_makes_test_and_contraception_not_applicable():
    outcome = evaluation()
    for code in ("INC14", "EXC05"):
        assert outcome.result(code).status is Status.MET
        assert outcome.result(code).not_applicable
        assert outcome.result(code).display == "not applicable"
    assert outcome.result("INC14").reason == "Not applicable: no childbearing potential"
    assert not outcome.result("INC10").not_applicable


def test_childbearing_potential_unknown_is_missing():
    outcome = result("INC14", childbearing_potential="")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("childbearing_potential",))


def test_breastfeeding_excludes():
    outcome = result("EXC04", breastfeeding="Y")
    assert (outcome.status, outcome.reason) == (Status.NOT_MET, "Breast-feeding: Y")


# --- INC15 / EXC13 viral serology -------------------------------------------------------------


def test_all_three_viral_tests_negative_pass():
    assert status("INC15") is Status.MET
    assert status("EXC13") is Status.MET


def test_any_positive_viral_test_fails_inclusion_15_and_exclusion_13():
    for virus in ("hiv", "hbv", "hcv"):
        outcome = evaluation(**{virus: "POSITIVE"})
        assert outcome.failed_codes == ("EXC13", "INC15")
        assert outcome.result("INC15").reason == f"{virus.upper()} POSITIVE"


def test_viral_test_not_done_is_missing_not_a_pass():
    outcome = result("INC15", hcv="NOT_DONE")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("hcv",))


def test_positive_viral_test_fails_even_if_another_is_not_done():
    assert status("EXC13", hiv="POSITIVE", hbv="NOT_DONE") is Status.NOT_MET


# --- EXC17 investigational agent --------------------------------------------------------------


def test_investigational_agent_30_days_before_registration_excludes():
    outcome = result("EXC17", last_investigational_agent_date="2024-02-19")
    assert outcome.status is Status.NOT_MET
    assert "30 days before" in outcome.reason


def test_investigational_agent_31_days_before_registration_passes():
    assert status("EXC17", last_investigational_agent_date="2024-02-18") is Status.MET


def test_investigational_agent_on_registration_day_excludes_and_none_passes():
    assert status("EXC17", last_investigational_agent_date="2024-03-20") is Status.NOT_MET
    outcome = result("EXC17", last_investigational_agent_date="")
    assert (outcome.status, outcome.reason) == (Status.MET, "Last investigational agent: none")


# --- judgement items --------------------------------------------------------------------------


JUDGEMENT_ITEMS = {
    "bilateral_breast_cancer": "EXC07",
    "incompatible_disease": "EXC09",
    "organ_failure": "EXC10",
    "cardiovascular_disease": "EXC10",
    "interstitial_lung_disease": "EXC10",
    "acute_urinary_infection": "EXC10",
    "haemorrhagic_cystitis": "EXC10",
    "uncontrolled_diabetes": "EXC11",
    "cns_disease": "EXC12",
    "psychiatric_disorder": "EXC14",
    "hypersensitivity": "EXC15",
    "substance_abuse": "EXC16",
    "unwilling_to_comply": "EXC18",
}


def test_yes_on_a_judgement_exclusion_fails_only_that_criterion():
    for variable, code in JUDGEMENT_ITEMS.items():
        assert evaluation(**{variable: "Y"}).failed_codes == (code,), variable


def test_each_condition_of_exclusion_10_is_asked_on_its_own():
    outcome = result("EXC10", interstitial_lung_disease="", haemorrhagic_cystitis="")
    assert outcome.status is Status.MISSING
    assert outcome.missing == ("interstitial_lung_disease", "haemorrhagic_cystitis")
    assert status("EXC10", cardiovascular_disease="Y") is Status.NOT_MET


# --- EXC08 other cancer -----------------------------------------------------------------------


def test_a_cured_other_cancer_excludes():
    # The question asked before ("not considered cured") admitted a cured colon cancer.
    outcome = result("EXC08", other_cancer="OTHER")
    assert outcome.status is Status.NOT_MET


def test_cured_in_situ_cervical_or_basal_cell_carcinoma_does_not_exclude():
    assert status("EXC08", other_cancer="CERVIX_IN_SITU_CURED") is Status.MET
    assert status("EXC08", other_cancer="BASAL_CELL_CURED") is Status.MET
    assert status("EXC08", other_cancer="NONE") is Status.MET


def test_other_cancer_unanswered_is_missing():
    outcome = result("EXC08", other_cancer="")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("other_cancer",))


def test_unanswered_judgement_item_is_missing():
    outcome = result("EXC11", uncontrolled_diabetes="")
    assert (outcome.status, outcome.missing) == (Status.MISSING, ("uncontrolled_diabetes",))


# --- prescreen of CSV rows --------------------------------------------------------------------


def _csv(rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(ELIGIBLE))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def test_prescreen_of_a_csv_produces_the_expected_lines():
    text = _csv([
        candidate(),
        candidate(candidate_id="C002", neutrophils_g_l="1.2", sex="M"),
        candidate(candidate_id="C003", hiv="NOT_DONE"),
        candidate(candidate_id="C004", stage="IIIA", platelets_g_l=""),
        candidate(candidate_id="C005", neutrophils_g_l="abc", her2_ihc="4+"),
    ])
    lines = [
        format_prescreen_row(prescreen_row(VARIABLES, CRITERIA, raw))
        for raw in csv.DictReader(io.StringIO(text))
    ]
    assert lines == [
        "C001,ELIGIBLE,,",
        "C002,NOT_ELIGIBLE,EXC01;INC10,",
        "C003,INCOMPLETE,,hiv",
        "C004,NOT_ELIGIBLE,INC07,platelets_g_l",
        "C005,INCOMPLETE,,her2_ihc;neutrophils_g_l",
    ]


def test_prescreen_reports_bad_cells_as_errors_without_raising():
    row = prescreen_row(VARIABLES, CRITERIA, candidate(
        candidate_id="C005", neutrophils_g_l="abc", her2_ihc="4+", lab_date="2024-13-01",
    ))
    assert row.candidate_id == "C005"
    assert row.result is Verdict.INCOMPLETE
    assert row.errors == (
        "her2_ihc: unknown code '4+' (expected one of 0, 1+, 2+, 3+)",
        "lab_date: '2024-13-01' is not a valid calendar date",
        "neutrophils_g_l: 'abc' is not a number",
    )


def test_prescreen_row_unpacks_as_a_five_tuple():
    candidate_id, result_, failed, missing, errors = prescreen_row(
        VARIABLES, CRITERIA, candidate(stage="II", who_ps="3")
    )
    assert (candidate_id, result_, failed, missing, errors) == (
        "C001", Verdict.NOT_ELIGIBLE, ("INC03", "INC07"), (), ()
    )


def test_prescreen_names_a_missing_candidate_id_and_quotes_a_comma():
    assert prescreen_row(VARIABLES, CRITERIA, candidate(candidate_id="")).errors == (
        "candidate_id: missing",
    )
    row = prescreen_row(VARIABLES, CRITERIA, candidate(candidate_id="C,6"))
    assert format_prescreen_row(row) == '"C,6",ELIGIBLE,,'


# --- retired questions ------------------------------------------------------------------------


def test_a_stored_yes_to_the_retired_other_cancer_question_still_excludes():
    from eligibility.domain.screening import with_retired_answers
    from trialsite.protocols.icrg0201_eligibility import RETIRED_ANSWERS

    old = {k: v for k, v in ELIGIBLE.items() if k != "other_cancer"}
    carried = with_retired_answers({**old, "other_cancer_history": "Y"}, RETIRED_ANSWERS)
    assert carried["other_cancer"] == "OTHER" and carried["other_cancer_history"] == "Y"
    parsed = parse_values(VARIABLES, carried)
    assert evaluate(VARIABLES, CRITERIA, parsed.values).result("EXC08").status is Status.NOT_MET


def test_a_stored_no_to_the_retired_question_asks_the_protocols_question_again():
    from eligibility.domain.screening import with_retired_answers
    from trialsite.protocols.icrg0201_eligibility import RETIRED_ANSWERS

    old = {k: v for k, v in ELIGIBLE.items() if k != "other_cancer"}
    carried = with_retired_answers({**old, "other_cancer_history": "N"}, RETIRED_ANSWERS)
    assert "other_cancer" not in carried
    parsed = parse_values(VARIABLES, carried)
    result_ = evaluate(VARIABLES, CRITERIA, parsed.values).result("EXC08")
    assert (result_.status, result_.missing) == (Status.MISSING, ("other_cancer",))
