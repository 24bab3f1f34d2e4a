"""PALMARES-2 / NCT06805812 eligibility: the variables collected and the criteria, as data.

Read from the registry text (seeds/004): men and women aged 18 or more with HR+/HER2-
advanced breast cancer who received, or are candidates for, palbociclib, ribociclib or abemaciclib
with endocrine therapy as first line. Codes: ``P-INC01``.. for its inclusions (age from "Ages: 18+
years old"), ``P-EXC01``.. for its exclusions. Names mean what they mean in ICRG0201 where both
studies collect the same thing. Sex is collected but no criterion restricts it ("Sex: All").
"""

from decimal import Decimal

from trialsite.protocols.criteria import (
    AllOf,
    AnyOf,
    Choice,
    Compare,
    Criterion,
    CriterionKind,
    Her2Negative,
    MinAge,
    MinInterval,
    NotYes,
    Op,
    Variable,
)

INCLUSION, EXCLUSION = CriterionKind.INCLUSION, CriterionKind.EXCLUSION
V = Variable

CDK46_INHIBITORS = ("PALBOCICLIB", "RIBOCICLIB", "ABEMACICLIB")

VARIABLES: tuple[Variable, ...] = (
    V.text("candidate_id", "Candidate ID"),
    V.of_codes("sex", "Sex", Choice("F", "female"), Choice("M", "male")),
    V.of_date("birth_date", "Date of birth"),
    V.of_date("consent_date", "Informed consent date"),
    V.of_decimal("er_percent", "ER", "%", 0, 100,
                 help_text="Oestrogen receptor: % of tumour nuclei stained (IHC)"),
    V.of_decimal("pgr_percent", "PgR", "%", 0, 100,
                 help_text="Progesterone receptor: % of tumour nuclei stained (IHC)"),
    V.of_codes("her2_ihc", "HER2 IHC", "0", "1+", "2+", "3+"),
    V.of_codes("her2_ish", "HER2 ISH", "NEGATIVE", "POSITIVE", "NOT_DONE",
               help_text="In situ hybridisation; needed when IHC is 2+"),
    V.yes_no("prior_systemic_for_advanced",
             "Prior systemic treatment for advanced disease",
             help_text="Before the CDK4/6 inhibitor line"),
    V.of_codes(
        "cdk46i", "CDK4/6 inhibitor",
        Choice("PALBOCICLIB", "palbociclib"), Choice("RIBOCICLIB", "ribociclib"),
        Choice("ABEMACICLIB", "abemaciclib"), Choice("NONE", "none"),
    ),
    V.of_date("cdk46i_start_date", "CDK4/6 inhibitor start date"),
    V.yes_no("cdk46i_with_endocrine", "CDK4/6 inhibitor given with endocrine therapy"),
    V.yes_no("cdk46i_adjuvant", "CDK4/6 inhibitor given as adjuvant treatment"),
    V.of_date("data_cutoff_date", "Data cut-off date"),
)

CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "P-INC01", INCLUSION,
        "Diagnosis of HR+/HER2- advanced breast cancer (aBC), as defined as at least 1% estrogen "
        "receptor (ER) and/or progesterone receptor (PgR) positivity at IHC.",
        AnyOf((
            Compare("er_percent", Op.GE, Decimal(1)),
            Compare("pgr_percent", Op.GE, Decimal(1)),
        )),
        note="Either receptor at 1 % or more is enough; both below 1 % fails.",
    ),
    Criterion(
        "P-INC02", INCLUSION,
        "HER2 negativity is defined on the basis of an IHC score of 0, 1+, or 2+ with absence of "
        "gene amplification at in situ hybridization (ISH) analyses.",
        Her2Negative("her2_ihc", "her2_ish"),
    ),
    Criterion(
        "P-INC03", INCLUSION,
        "Have received or are candidate to receive treatment with palbociclib, ribociclib or "
        "abemaciclib in combination with endocrine therapy as first-line treatment for "
        "HR+/HER2- aBC.",
        AllOf((
            Compare("cdk46i", Op.IN, CDK46_INHIBITORS),
            Compare("cdk46i_with_endocrine", Op.EQ, "Y"),
            Compare("prior_systemic_for_advanced", Op.EQ, "N"),
        )),
        note="First line: no systemic treatment for advanced disease before the CDK4/6 inhibitor.",
    ),
    Criterion(
        "P-INC04", INCLUSION, "Ages: 18+ years old.",
        MinAge("birth_date", ("cdk46i_start_date", "consent_date"), 18),
        note="Age at the CDK4/6 inhibitor start; at consent for a candidate not yet started.",
    ),
    Criterion(
        "P-EXC01", EXCLUSION,
        "Less than 3 months of follow up from the CDK4/6i start to the date of data cut-off.",
        MinInterval("cdk46i_start_date", "data_cutoff_date", 3),
        note="3 calendar months: a cut-off on the 3-month anniversary of the start passes.",
    ),
    Criterion(
        "P-EXC02", EXCLUSION, "Have received CDK4/6i as monotherapy.",
        Compare("cdk46i_with_endocrine", Op.EQ, "Y"),
    ),
    Criterion(
        "P-EXC03", EXCLUSION, "Have received CDK4/6i as adjuvant treatment for localized disease.",
        NotYes("cdk46i_adjuvant"),
    ),
)


#: A synthetic eligible candidate: the demo trial and the documentation start from it.
EXAMPLE_CANDIDATE = {
    "sex": "F",
    "birth_date": "1960-04-02",
    "consent_date": "2024-05-10",
    "er_percent": "90",
    "pgr_percent": "20",
    "her2_ihc": "0",
    "her2_ish": "",
    "prior_systemic_for_advanced": "N",
    "cdk46i": "RIBOCICLIB",
    "cdk46i_start_date": "2023-09-15",
    "cdk46i_with_endocrine": "Y",
    "cdk46i_adjuvant": "N",
    "data_cutoff_date": "2024-06-30",
}

#: What makes the example fail (a CDK4/6 inhibitor given without endocrine therapy).
EXAMPLE_FAILURE = {"cdk46i_with_endocrine": "N"}
