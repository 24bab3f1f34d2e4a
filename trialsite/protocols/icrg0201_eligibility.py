"""ICRG0201 / NCT05190094 eligibility: the variables collected and the criteria, as data.

Codes follow the registry text (seeds/000): ``INC01``-``INC15`` are its inclusion list 1-15,
``EXC01``-``EXC05`` its exclusion list 1-5, and ``EXC06``-``EXC18`` the second numbered list 7-19
printed under the inclusions, exclusions in substance (``EXC13`` is its item 14). ``AGE`` is the
registry's "Minimum Eligible Age: 18 Years". Every rule states what must hold for the candidate
to stay eligible; measured items are computed from the values, never ticked.

Units are those of the CSV: G/L for cell counts, g/dL haemoglobin, µmol/L bilirubin and
creatinine, U/L for AST, ALT and ALP, mmol/L calcium; each ULN or LLN is the site's reference
limit in the unit of its value.
"""

from decimal import Decimal

from trialsite.protocols.criteria import (
    AllNegative,
    AllOf,
    AnyOf,
    Choice,
    Compare,
    CreatinineOrClearance,
    Criterion,
    CriterionKind,
    DateNotWithin,
    DatesInOrder,
    DateWindow,
    EndocrineResistance,
    Her2Negative,
    MinAge,
    NotYes,
    Op,
    RatioToLimit,
    RetiredAnswer,
    Variable,
)

INCLUSION, EXCLUSION = CriterionKind.INCLUSION, CriterionKind.EXCLUSION
V = Variable


def _lab(name, label, unit, max_value, *, min_value="0", **extra):
    return V.of_decimal(name, label, unit, min_value, max_value, **extra)


VARIABLES: tuple[Variable, ...] = (
    V.text("candidate_id", "Candidate ID"),
    V.of_codes("sex", "Sex", Choice("F", "female"), Choice("M", "male")),
    V.of_date("birth_date", "Date of birth"),
    V.of_date("consent_date", "Informed consent date"),
    V.of_date("registration_date", "Registration date (planned D1)"),
    V.of_codes(
        "menopausal_status", "Menopausal status",
        Choice("POST", "post-menopausal"), Choice("PRE", "pre-menopausal"),
        Choice("PERI", "peri-menopausal"),
    ),
    V.of_codes(
        "ovarian_suppression", "Ovarian function suppression",
        Choice("NONE", "none"), Choice("OOPHORECTOMY", "surgical oophorectomy"),
        Choice("LHRH", "LHRH analogue"),
    ),
    V.of_integer("who_ps", "WHO performance status", 0, 4),
    V.yes_no("histology_confirmed", "Histologically confirmed breast cancer"),
    V.of_codes("luminal_subtype", "Luminal subtype", Choice("A", "luminal A"),
               Choice("B", "luminal B")),
    V.of_decimal("er_percent", "ER", "%", 0, 100,
                 help_text="Oestrogen receptor: % of tumour nuclei stained (IHC)"),
    V.of_decimal("pgr_percent", "PgR", "%", 0, 100,
                 help_text="Progesterone receptor: % of tumour nuclei stained (IHC)"),
    V.of_codes("her2_ihc", "HER2 IHC", "0", "1+", "2+", "3+"),
    V.of_codes("her2_ish", "HER2 ISH", "NEGATIVE", "POSITIVE", "NOT_DONE",
               help_text="In situ hybridisation (FISH or other); needed when IHC is 2+"),
    V.of_codes("stage", "Stage", "I", "II", "IIIA", "IIIB", "IIIC", "IV"),
    V.of_codes("disease_setting", "Disease setting", Choice("DE_NOVO", "de novo advanced"),
               Choice("RELAPSE", "relapse after early breast cancer")),
    V.yes_no("prior_systemic_for_advanced", "Prior systemic treatment for advanced disease"),
    V.yes_no("adjuvant_ht", "Adjuvant hormone therapy received",
             help_text="For a relapse: N when no adjuvant hormone therapy was given"),
    V.of_date("adjuvant_ht_start", "Adjuvant hormone therapy start"),
    V.of_date("adjuvant_ht_end", "Adjuvant hormone therapy end"),
    V.of_date("relapse_date", "Relapse date"),
    V.yes_no("measurable_or_evaluable", "Measurable or evaluable disease"),
    V.of_date("lab_date", "Screening lab date"),
    _lab("neutrophils_g_l", "Neutrophils", "G/L", "100"),
    _lab("platelets_g_l", "Platelets", "G/L", "2000"),
    _lab("leukocytes_g_l", "Leucocytes", "G/L", "500"),
    _lab("hemoglobin_g_dl", "Haemoglobin", "g/dL", "25", analyte="haemoglobin"),
    _lab("bilirubin", "Total bilirubin", "µmol/L", "1000"),
    _lab("bilirubin_uln", "Total bilirubin ULN", "µmol/L", "1000", min_value="0.01"),
    _lab("ast", "AST", "U/L", "10000"),
    _lab("ast_uln", "AST ULN", "U/L", "10000", min_value="0.01"),
    _lab("alt", "ALT", "U/L", "10000"),
    _lab("alt_uln", "ALT ULN", "U/L", "10000", min_value="0.01"),
    _lab("alp", "Alkaline phosphatase", "U/L", "10000"),
    _lab("alp_uln", "Alkaline phosphatase ULN", "U/L", "10000", min_value="0.01"),
    # A creatinine of at least 1 µmol/L keeps the Cockcroft-Gault division meaningful.
    _lab("creatinine", "Creatinine", "µmol/L", "3000", min_value="1", analyte="creatinine"),
    _lab("creatinine_uln", "Creatinine ULN", "µmol/L", "3000", min_value="1",
         analyte="creatinine"),
    _lab("creatinine_clearance_ml_min", "Creatinine clearance", "mL/min", "300",
         help_text="Measured; leave empty to compute it by Cockcroft-Gault"),
    _lab("calcium", "Calcium", "mmol/L", "10"),
    _lab("calcium_lln", "Calcium LLN", "mmol/L", "10", min_value="0.01"),
    V.of_decimal("weight_kg", "Weight", "kg", 20, 300),
    V.yes_no("childbearing_potential", "Childbearing potential"),
    V.of_codes("pregnancy_test", "Pregnancy test", "NEGATIVE", "POSITIVE", "NOT_DONE"),
    V.of_date("pregnancy_test_date", "Pregnancy test date"),
    V.yes_no("breastfeeding", "Breast-feeding"),
    V.yes_no("contraception_agreed", "Agrees to non-hormonal contraception"),
    V.of_codes("hiv", "HIV", "NEGATIVE", "POSITIVE", "NOT_DONE"),
    V.of_codes("hbv", "HBV", "NEGATIVE", "POSITIVE", "NOT_DONE"),
    V.of_codes("hcv", "HCV", "NEGATIVE", "POSITIVE", "NOT_DONE"),
    V.yes_no("bilateral_breast_cancer", "Bilateral breast cancer"),
    V.of_codes(
        "other_cancer", "History of another cancer",
        Choice("NONE", "none"),
        Choice("CERVIX_IN_SITU_CURED", "in situ carcinoma of the cervix, cured"),
        Choice("BASAL_CELL_CURED", "basal-cell skin carcinoma, cured"),
        Choice("OTHER", "any other cancer, cured or not"),
        help_text="Any cancer other than this breast cancer; only a cured in situ cervical "
                  "carcinoma or a cured basal-cell skin carcinoma is allowed",
    ),
    V.yes_no("incompatible_disease", "Other disease incompatible with the protocol"),
    V.yes_no("organ_failure", "Heart, kidney, marrow, respiratory or liver failure"),
    V.yes_no("cardiovascular_disease", "Clinically significant cardiovascular disease at baseline",
             help_text="Myocardial infarction, unstable angina, symptomatic congestive heart "
                       "failure, serious uncontrolled cardiac arrhythmia"),
    V.yes_no("interstitial_lung_disease", "Interstitial lung disease, past or at baseline",
             help_text="History of interstitial lung disease (e.g. pneumonitis, pulmonary "
                       "fibrosis) or evidence of it at baseline"),
    V.yes_no("acute_urinary_infection", "Acute urinary infection at baseline"),
    V.yes_no("haemorrhagic_cystitis", "Ongoing haemorrhagic cystitis at baseline"),
    V.yes_no("uncontrolled_diabetes", "Uncontrolled diabetes"),
    V.yes_no("cns_disease", "Symptomatic or progressive CNS disorder"),
    V.yes_no("psychiatric_disorder", "Significant psychiatric abnormality"),
    V.yes_no("hypersensitivity", "Hypersensitivity to study treatment or excipients"),
    V.yes_no("substance_abuse", "Narcotic, medication or alcohol abuse"),
    V.yes_no("unwilling_to_comply", "Unwilling or unable to comply"),
    V.of_date("last_investigational_agent_date", "Last investigational agent",
              blank_means_none=True, help_text="Leave empty if none"),
)

#: Screening labs count only when drawn in the 28 days before registration (ARCHITECTURE §2:
#: screening visit days -28..-1; registration day itself is accepted as day 0).
LAB_WINDOW = DateWindow("lab_date", "registration_date", days_before=28)

#: Seed inclusion 14: "within 7 days before registration"; day 0 (same day) counts.
PREGNANCY_TEST_WINDOW = DateWindow(
    "pregnancy_test_date", "registration_date", days_before=7,
    subject="Pregnancy test", repeat="repeat it",
)

_CHILDBEARING = Compare("childbearing_potential", Op.EQ, "Y")
_VIRUSES = AllNegative(("hiv", "hbv", "hcv"))
_HER2 = Her2Negative("her2_ihc", "her2_ish")
#: Seed exclusion 3 defines triple negative as ER < 1 % (ASCO/CAP), so ER-positive is ≥ 1 %;
#: inclusion 5's "ER > 1%" is read the same way.
_ER_POSITIVE = Compare("er_percent", Op.GE, Decimal(1))


def _uln(variable, factor):
    return RatioToLimit(variable, f"{variable}_uln", Op.LE, Decimal(factor))


def _judgement(code, text, variable):
    return Criterion(code, EXCLUSION, text, NotYes(variable))


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "AGE", INCLUSION, "Minimum eligible age: 18 years.",
        MinAge("birth_date", ("registration_date",), 18),
    ),
    Criterion(
        "INC01", INCLUSION,
        "Written informed consent before beginning specific protocol procedures including "
        "expected cooperation of the patients for the treatment and follow-up must be obtained "
        "and documented according to the local regulatory requirements.",
        DatesInOrder("consent_date", ("lab_date",), ("pregnancy_test_date",)),
        note="Consent on or before the screening labs and the pregnancy test (same day allowed).",
    ),
    Criterion(
        "INC02", INCLUSION,
        "Postmenopausal women or pre/peri-menopausal women with surgical oophorectomy "
        "(preferred) or analogs of LHRH.",
        AnyOf((
            Compare("menopausal_status", Op.EQ, "POST"),
            AllOf((
                Compare("menopausal_status", Op.IN, ("PRE", "PERI")),
                Compare("ovarian_suppression", Op.IN, ("OOPHORECTOMY", "LHRH")),
            )),
        )),
    ),
    Criterion(
        "INC03", INCLUSION, "Performance status < 3 (according to WHO criteria).",
        Compare("who_ps", Op.LT, 3),
    ),
    Criterion(
        "INC04", INCLUSION, "Histologically confirmed breast cancer (Luminal A or B).",
        AllOf((
            Compare("histology_confirmed", Op.EQ, "Y"),
            Compare("luminal_subtype", Op.IN, ("A", "B")),
        )),
    ),
    Criterion(
        "INC05", INCLUSION, "Estrogen Receptor positive (ER > 1%).", _ER_POSITIVE,
        note="ER ≥ 1 %, the complement of exclusion 3 (triple negative: ER < 1 %).",
    ),
    Criterion(
        "INC06", INCLUSION,
        "HER2 negative (score 0 or 1 by immunochemistry), FISH negative if IHC score 2.", _HER2,
    ),
    Criterion(
        "INC07", INCLUSION, "Clinical stage IIIb & IV.", Compare("stage", Op.IN, ("IIIB", "IV")),
    ),
    Criterion(
        "INC08", INCLUSION,
        "Either: 1. Women with de novo advanced luminal HER2 negative advanced breast cancer "
        "without other prior systemic treatment for advanced disease. 2. Women with luminal HER2 "
        "negative advanced breast cancer either with secondary resistance (relapse after 2 years "
        "of adjuvant hormone therapy or within 12 months of completion of adjuvant HT) or "
        "sensitivity to adjuvant HT (relapse > 12 months after completion of adjuvant HT).",
        EndocrineResistance(
            "disease_setting", "prior_systemic_for_advanced",
            "adjuvant_ht_start", "adjuvant_ht_end", "relapse_date", adjuvant_given="adjuvant_ht",
        ),
        note=(
            "Relapse on adjuvant HT (relapse date ≤ its end) before the 2nd anniversary of its "
            "start is primary resistance and fails; on or after it, or up to the 12-month "
            "anniversary of the end, secondary resistance; later, sensitivity. A relapse "
            "without adjuvant HT is endocrine-naive: the ESO-ESMO ABC definitions (4th "
            "consensus, Cardoso et al., Ann Oncol 2018) define primary and secondary resistance "
            "only for patients who received endocrine therapy, so it is neither; the inclusion "
            "excludes only primary resistance (its branches are secondary resistance or "
            "sensitivity) and ABC 4 recommends a CDK4/6 inhibitor with an AI for patients "
            "naive or pre-exposed to ET. It passes, as sensitivity does, without prior systemic "
            "treatment for advanced disease."
        ),
    ),
    Criterion(
        "INC09", INCLUSION, "Measurable or evaluable disease.",
        Compare("measurable_or_evaluable", Op.EQ, "Y"),
    ),
    Criterion(
        "INC10", INCLUSION,
        "Hematology: neutrophil count ≥ 1.5 G/L, platelet count ≥ 100 G/L, leucocyte count "
        "> 3.0 G/L, Hb > 9 g/dl.",
        AllOf((
            Compare("neutrophils_g_l", Op.GE, Decimal("1.5")),
            Compare("platelets_g_l", Op.GE, Decimal("100")),
            Compare("leukocytes_g_l", Op.GT, Decimal("3.0")),
            Compare("hemoglobin_g_dl", Op.GT, Decimal("9")),
        )),
        window=LAB_WINDOW,
    ),
    Criterion(
        "INC11", INCLUSION,
        "Hepatic function: total bilirubin ≤ 1.5 times the upper normal limit (UNL), "
        "ASAT ≤ 2.5xUNL, ALAT ≤ 2.5xUNL, alkaline phosphatase ≤ 2.5 times the UNL.",
        AllOf((
            _uln("bilirubin", "1.5"), _uln("ast", "2.5"), _uln("alt", "2.5"),
            _uln("alp", "2.5"),
        )),
        window=LAB_WINDOW,
    ),
    Criterion(
        "INC12", INCLUSION,
        "Renal function: serum creatinine ≤ 1.5xUNL (and if serum creatinine > 1.5xUNL, "
        "creatinine clearance ≥ 40 mL/min).",
        CreatinineOrClearance(
            creatinine="creatinine", creatinine_uln="creatinine_uln", factor=Decimal("1.5"),
            clearance="creatinine_clearance_ml_min", min_clearance=Decimal(40),
            sex="sex", birth_date="birth_date", weight="weight_kg", age_at="lab_date",
        ),
        window=LAB_WINDOW,
        note="Without a measured clearance it is computed by Cockcroft-Gault (age at lab date).",
    ),
    Criterion(
        "INC13", INCLUSION, "Metabolic function: serum calcium ≥ lower limit of normal.",
        RatioToLimit("calcium", "calcium_lln", Op.GE, limit_name="LLN"),
        window=LAB_WINDOW,
    ),
    Criterion(
        "INC14", INCLUSION,
        "Negative pregnancy test (urine or serum) within 7 days before registration for all "
        "women of childbearing potential. Patients of childbearing potential must implement "
        "adequate non-hormonal contraceptive measures during study treatment.",
        AllOf((
            Compare("pregnancy_test", Op.EQ, "NEGATIVE", unknown=("NOT_DONE",)),
            Compare("contraception_agreed", Op.EQ, "Y"),
        )),
        applies_when=_CHILDBEARING,
        not_applicable_reason="no childbearing potential",
        window=PREGNANCY_TEST_WINDOW,
    ),
    Criterion(
        "INC15", INCLUSION,
        "Patients with negative Human Immunodeficiency Virus (HIV) and/or Hepatitis B and/or "
        "Hepatitis C results.",
        _VIRUSES,
        note="All three must be NEGATIVE; NOT_DONE is missing data.",
    ),
    Criterion("EXC01", EXCLUSION, "Male patients.", Compare("sex", Op.EQ, "F")),
    Criterion(
        "EXC02", EXCLUSION, "HER2 positive tumors or unknown HR/HER2 status.", _HER2,
        note="IHC 3+, or 2+ with ISH POSITIVE or NOT_DONE (unknown), fails; missing is missing.",
    ),
    Criterion("EXC03", EXCLUSION, "Triple-negative breast cancer (ER < 1%).", _ER_POSITIVE),
    Criterion(
        "EXC04", EXCLUSION,
        "Pregnant or breast-feeding women, or those who plan to become pregnant within 6 months "
        "post-treatment.",
        AllOf((
            NotYes("breastfeeding"),
            AnyOf((
                Compare("childbearing_potential", Op.EQ, "N"),
                Compare("pregnancy_test", Op.NE, "POSITIVE"),
            )),
        )),
        note="Pregnant means a POSITIVE test, whatever its date; plans are covered by EXC05.",
    ),
    Criterion(
        "EXC05", EXCLUSION,
        "No willingness to use highly effective methods of contraception (per institutional "
        "standard) during treatment and for 6 months post-treatment.",
        Compare("contraception_agreed", Op.EQ, "Y"),
        applies_when=_CHILDBEARING,
        not_applicable_reason="no childbearing potential",
    ),
    Criterion(
        "EXC06", EXCLUSION, "Non-evaluable tumor.",
        Compare("measurable_or_evaluable", Op.EQ, "Y"),
    ),
    _judgement("EXC07", "Bilateral breast cancer.", "bilateral_breast_cancer"),
    Criterion(
        "EXC08", EXCLUSION,
        "Patients with a history of other cancer, except in situ cervical cancer or "
        "baso-cellular skin cancer, considered cured.",
        Compare("other_cancer", Op.IN, ("NONE", "CERVIX_IN_SITU_CURED", "BASAL_CELL_CURED")),
        note=(
            "Any other cancer excludes, cured or not; the only exceptions are an in situ "
            "carcinoma of the cervix or a basal-cell skin carcinoma, each considered cured."
        ),
    ),
    _judgement(
        "EXC09", "Patient has another disease, which is deemed incompatible with the inclusion "
        "in the protocol.", "incompatible_disease",
    ),
    Criterion(
        "EXC10", EXCLUSION,
        "Heart, kidney, medullary, respiratory or liver failure. Clinically significant "
        "cardiovascular disease (including myocardial infarction, unstable angina, symptomatic "
        "congestive heart failure, serious uncontrolled cardiac arrhythmia) at baseline. "
        "History of interstitial lung disease e.g. pneumonitis or pulmonary fibrosis or "
        "evidence of interstitial lung disease at baseline. Acute urinary infection, ongoing "
        "hemorrhagic cystitis at baseline.",
        AllOf(tuple(NotYes(name) for name in (
            "organ_failure", "cardiovascular_disease", "interstitial_lung_disease",
            "acute_urinary_infection", "haemorrhagic_cystitis",
        ))),
        note="Each condition the item names is asked on its own; a yes to any excludes.",
    ),
    _judgement("EXC11", "Uncontrolled diabetes.", "uncontrolled_diabetes"),
    _judgement(
        "EXC12", "Symptomatic or progressive disorder of the central nervous system (CNS) at "
        "baseline.", "cns_disease",
    ),
    Criterion(
        "EXC13", EXCLUSION,
        "Patients with positive Human Immunodeficiency Virus (HIV) and/or Hepatitis B and/or "
        "Hepatitis C results.",
        _VIRUSES,
    ),
    _judgement("EXC14", "Significant psychiatric abnormalities.", "psychiatric_disorder"),
    _judgement(
        "EXC15", "History of hypersensitivity to studied treatment or excipients.",
        "hypersensitivity",
    ),
    _judgement(
        "EXC16", "Known previous or ongoing abuse of narcotic drug, other medication or alcohol.",
        "substance_abuse",
    ),
    Criterion(
        "EXC17", EXCLUSION,
        "Any investigational agent within 30 days before initiation of study treatment.",
        DateNotWithin("last_investigational_agent_date", "registration_date", 30),
        note=(
            "Study treatment starts on the registration date (D1). A last dose 30 days before "
            "D1 is within 30 days and excludes; 31 days before passes; empty means none."
        ),
    ),
    _judgement(
        "EXC18", "Patient unwilling or unable to comply with study requirements.",
        "unwilling_to_comply",
    ),
)


#: A synthetic eligible candidate: the demo trial and the documentation start from it.
EXAMPLE_CANDIDATE = {
    "sex": "F",
    "birth_date": "1970-06-15",
    "consent_date": "2024-03-01",
    "registration_date": "2024-03-20",
    "menopausal_status": "POST",
    "ovarian_suppression": "NONE",
    "who_ps": "1",
    "histology_confirmed": "Y",
    "luminal_subtype": "B",
    "er_percent": "80",
    "pgr_percent": "50",
    "her2_ihc": "1+",
    "her2_ish": "",
    "stage": "IV",
    "disease_setting": "DE_NOVO",
    "prior_systemic_for_advanced": "N",
    "adjuvant_ht": "",
    "adjuvant_ht_start": "",
    "adjuvant_ht_end": "",
    "relapse_date": "",
    "measurable_or_evaluable": "Y",
    "lab_date": "2024-03-10",
    "neutrophils_g_l": "3.2",
    "platelets_g_l": "250",
    "leukocytes_g_l": "6.1",
    "hemoglobin_g_dl": "12.5",
    "bilirubin": "10",
    "bilirubin_uln": "17",
    "ast": "25",
    "ast_uln": "40",
    "alt": "30",
    "alt_uln": "40",
    "alp": "90",
    "alp_uln": "120",
    "creatinine": "70",
    "creatinine_uln": "90",
    "creatinine_clearance_ml_min": "",
    "calcium": "2.35",
    "calcium_lln": "2.15",
    "weight_kg": "68",
    "childbearing_potential": "N",
    "pregnancy_test": "",
    "pregnancy_test_date": "",
    "breastfeeding": "N",
    "contraception_agreed": "",
    "hiv": "NEGATIVE",
    "hbv": "NEGATIVE",
    "hcv": "NEGATIVE",
    "bilateral_breast_cancer": "N",
    "other_cancer": "NONE",
    "incompatible_disease": "N",
    "organ_failure": "N",
    "cardiovascular_disease": "N",
    "interstitial_lung_disease": "N",
    "acute_urinary_infection": "N",
    "haemorrhagic_cystitis": "N",
    "uncontrolled_diabetes": "N",
    "cns_disease": "N",
    "psychiatric_disorder": "N",
    "hypersensitivity": "N",
    "substance_abuse": "N",
    "unwilling_to_comply": "N",
    "last_investigational_agent_date": "",
}

#: What makes the example fail (a neutrophil count below the limit of INC10).
EXAMPLE_FAILURE = {"neutrophils_g_l": "1.2"}

#: Answers to questions no longer asked, carried into the question that replaced them where the
#: old answer means the same (screenings saved before keep their stored values and history).
#: "Other cancer not considered cured: Y" is another cancer; its "N" admitted a cured colon
#: cancer, which the protocol excludes, so "N" carries nothing and the question is asked again.
RETIRED_ANSWERS = (
    RetiredAnswer("other_cancer_history", "Other cancer not considered cured", "Y",
                  "other_cancer", "OTHER"),
)
