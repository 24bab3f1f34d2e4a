"""PALMARES-2 / NCT06805812: real-world first-line CDK4/6 inhibitors, observational.

Retrospective and prospective, 3,500 men and women at 24 Italian sites, treated with
palbociclib, ribociclib or abemaciclib plus endocrine therapy as first line for HR+/HER2- advanced
breast cancer. Doses are the drugs' labelled starting doses and reductions; the study records
what was given, it does not assign treatment.
"""

from decimal import Decimal

from trialsite.protocols import edit_checks
from trialsite.protocols import palmares2_eligibility as eligibility
from trialsite.protocols import palmares2_schedule as schedule
from trialsite.protocols.base import (
    Assumption,
    CodedItem,
    Drug,
    DrugClass,
    EnrolmentPlan,
    MedianCiMethod,
    PfsDefinition,
    Protocol,
    RealWorldPlan,
    ResponsePlan,
    Sex,
    Sidedness,
    Site,
    StatisticsPlan,
)

_ITALIAN_CENTRES = (
    ("ITMI1", "Milano", "Oncologia Medica, Istituto tumori (coordinating centre)", 400),
    ("ITMI2", "Milano", "Oncologia Medica, Ospedale universitario", 180),
    ("ITTO1", "Torino", "Oncologia Medica, Azienda ospedaliera", 160),
    ("ITGE1", "Genova", "Oncologia Medica, Ospedale policlinico", 150),
    ("ITBG1", "Bergamo", "Oncologia Medica, Ospedale provinciale", 120),
    ("ITBS1", "Brescia", "Oncologia Medica, Spedali civili", 130),
    ("ITVR1", "Verona", "Oncologia Medica, Azienda ospedaliera universitaria", 140),
    ("ITPD1", "Padova", "Oncologia Medica, Istituto oncologico", 170),
    ("ITVE1", "Venezia", "Oncologia Medica, Ospedale dell'Angelo", 100),
    ("ITTS1", "Trieste", "Oncologia Medica, Azienda sanitaria universitaria", 90),
    ("ITBO1", "Bologna", "Oncologia Medica, Policlinico universitario", 170),
    ("ITMO1", "Modena", "Oncologia Medica, Policlinico", 120),
    ("ITFI1", "Firenze", "Oncologia Medica, Azienda ospedaliero-universitaria", 160),
    ("ITPI1", "Pisa", "Oncologia Medica, Azienda ospedaliero-universitaria", 110),
    ("ITPG1", "Perugia", "Oncologia Medica, Ospedale regionale", 90),
    ("ITAN1", "Ancona", "Oncologia Medica, Ospedali riuniti", 90),
    ("ITRM1", "Roma", "Oncologia Medica, Policlinico universitario", 200),
    ("ITRM2", "Roma", "Oncologia Medica, Istituto tumori", 160),
    ("ITNA1", "Napoli", "Oncologia Medica, Istituto tumori", 180),
    ("ITBA1", "Bari", "Oncologia Medica, Istituto tumori", 130),
    ("ITCZ1", "Catanzaro", "Oncologia Medica, Azienda ospedaliero-universitaria", 70),
    ("ITPA1", "Palermo", "Oncologia Medica, Policlinico universitario", 110),
    ("ITCT1", "Catania", "Oncologia Medica, Azienda ospedaliera", 100),
    ("ITCA1", "Cagliari", "Oncologia Medica, Ospedale oncologico", 80),
)

PROTOCOL = Protocol(
    code="PALMARES-2",
    registry_id="NCT06805812",
    title=(
        "Predicting clinical outcomes during first-line CDK4/6 inhibitors plus endocrine therapy "
        "in advanced HR-positive HER2-negative breast cancer: the retrospective-prospective "
        "multicenter Italian PALMARES-2 study"
    ),
    short_title="Real-world first-line CDK4/6 inhibitors",
    design="Observational, retrospective and prospective, multicentre, population based",
    phase="Not applicable (observational)",
    target_enrolment=3500,
    sexes=frozenset({Sex.FEMALE, Sex.MALE}),
    min_age_years=18,
    max_age_years=None,
    drugs=(
        Drug("PALBOCICLIB", "Palbociclib", DrugClass.CDK46_INHIBITOR,
             (Decimal("125"), Decimal("100"), Decimal("75")),
             "once daily, 3 weeks on and 1 week off", cycle_days=28, max_days_on_per_cycle=21),
        Drug("RIBOCICLIB", "Ribociclib", DrugClass.CDK46_INHIBITOR,
             (Decimal("600"), Decimal("400"), Decimal("200")),
             "once daily, 3 weeks on and 1 week off", cycle_days=28, max_days_on_per_cycle=21),
        Drug("ABEMACICLIB", "Abemaciclib", DrugClass.CDK46_INHIBITOR,
             (Decimal("150"), Decimal("100"), Decimal("50")),
             "twice daily, continuous", cycle_days=28, max_days_on_per_cycle=28),
        Drug("LETROZOLE", "Letrozole", DrugClass.AROMATASE_INHIBITOR, (Decimal("2.5"),)),
        Drug("ANASTROZOLE", "Anastrozole", DrugClass.AROMATASE_INHIBITOR, (Decimal("1"),)),
        Drug("EXEMESTANE", "Exemestane", DrugClass.AROMATASE_INHIBITOR, (Decimal("25"),)),
        Drug("FULVESTRANT", "Fulvestrant", DrugClass.SERD, (Decimal("500"),),
             "intramuscular on days 1, 15, 29, then every 28 days"),
        Drug("LHRH_ANALOGUE", "LHRH analogue", DrugClass.OVARIAN_SUPPRESSION),
        # Later lines of therapy for advanced disease (subsequent-lines sub-study).
        Drug("TAMOXIFEN", "Tamoxifen", DrugClass.SERM),
        Drug("ELACESTRANT", "Elacestrant", DrugClass.SERD),
        Drug("EVEROLIMUS", "Everolimus", DrugClass.TARGETED),
        Drug("ALPELISIB", "Alpelisib", DrugClass.TARGETED),
        Drug("CAPIVASERTIB", "Capivasertib", DrugClass.TARGETED),
        Drug("OLAPARIB", "Olaparib", DrugClass.TARGETED),
        Drug("CAPECITABINE", "Capecitabine", DrugClass.CHEMOTHERAPY),
        Drug("PACLITAXEL", "Paclitaxel", DrugClass.CHEMOTHERAPY),
        Drug("NAB_PACLITAXEL", "nab-Paclitaxel", DrugClass.CHEMOTHERAPY),
        Drug("ERIBULIN", "Eribulin", DrugClass.CHEMOTHERAPY),
        Drug("VINORELBINE", "Vinorelbine", DrugClass.CHEMOTHERAPY),
        Drug("DOXORUBICIN", "Doxorubicin (liposomal or not)", DrugClass.CHEMOTHERAPY),
        Drug("TRASTUZUMAB_DERUXTECAN", "Trastuzumab deruxtecan",
             DrugClass.ANTIBODY_DRUG_CONJUGATE),
        Drug("SACITUZUMAB_GOVITECAN", "Sacituzumab govitecan",
             DrugClass.ANTIBODY_DRUG_CONJUGATE),
    ),
    anchor="Start date of the first-line CDK4/6 inhibitor",
    sites=tuple(
        Site(code, f"{name}, {city}", city, "Italy", "Europe/Rome", target)
        for code, city, name, target in _ITALIAN_CENTRES
    ),
    consent_versions=("1.0",),
    eligibility_variables=eligibility.VARIABLES,
    criteria=eligibility.CRITERIA,
    enrolment=EnrolmentPlan(
        day1_variable="cdk46i_start_date",
        cdk46i_drugs=("PALBOCICLIB", "RIBOCICLIB", "ABEMACICLIB"),
        endocrine_drugs=("LETROZOLE", "ANASTROZOLE", "EXEMESTANE", "FULVESTRANT"),
        fixed_starting_dose=False,
        day1_on_or_after_consent=False,
    ),
    schedule=schedule.SCHEDULE,
    edit_checks=edit_checks.STANDARD_CHECKS,
    example_candidate=eligibility.EXAMPLE_CANDIDATE,
    assumptions=(
        Assumption(
            "follow-up visits",
            "every 91 days from the CDK4/6 inhibitor start, window +-30 days",
            "ASSUMPTION: the registry text (NCT06805812) sets no visit schedule (observational, "
            "routine care); trialsite's reading (shared ARCHITECTURE §2: follow-up every 3 "
            "months), to be checked against the study's data collection plan",
        ),
        Assumption(
            "line-1 exposure for severe toxicity",
            "line 1 start to its stop plus 30 days",
            "analysis convention (treatment-emergent window; issue 13 §5), not in the registry "
            "text",
        ),
    ),
    example_failure=eligibility.EXAMPLE_FAILURE,
    # Response is not a primary endpoint of this observational study: RECIST 1.1 §4.6 does not
    # ask for confirmation of CR/PR then, and real-world records rarely have it.
    response=ResponsePlan(confirmation_required=False, reported_responses=True),
    # The registry text states objectives (overall survival between the three CDK4/6
    # inhibitors, severe toxicity) but no statistical methods: every choice below is ours.
    statistics=StatisticsPlan(
        population="All enrolled patients",
        population_definition="every patient enrolled (consented and eligible)",
        population_from_protocol=False,
        tests=Sidedness.TWO_SIDED,
        median_ci=MedianCiMethod.LOG_LOG,
        pfs=PfsDefinition.REAL_WORLD_FIRST_LINE,
        pfs_name="Real-world progression-free survival of line 1 (rwPFS)",
        pfs_event="Event: first progression (recorded, or line 1 stopped for progression) or "
                  "death, from the start of the first-line CDK4/6 inhibitor.",
        pfs_censoring="Censored at the last contact (latest visit, survival contact or "
                      "consent).",
        confidence_level=0.95,
        sources=(
            "Registry text, RWD sub-study: overall survival compared between the three "
            "CDK4/6 inhibitors in the real-world first-line population.",
        ),
        assumptions=(
            "Population: all enrolled patients; the registry text defines no analysis "
            "population.",
            "Tests two-sided at 5 % and 95 % confidence intervals: the registry text gives "
            "no statistical methods (usual practice for a comparison without a directional "
            "hypothesis).",
            "Median CI by Brookmeyer and Crowley with log(−log) limits (lifelines' default).",
            "Real-world PFS of line 1 as progression or death from the CDK4/6 inhibitor "
            "start, censored at the last contact: the registry text does not define PFS.",
        ),
    ),
    real_world=RealWorldPlan(
        line_drugs=(
            "PALBOCICLIB", "RIBOCICLIB", "ABEMACICLIB", "LETROZOLE", "ANASTROZOLE",
            "EXEMESTANE", "FULVESTRANT", "LHRH_ANALOGUE", "TAMOXIFEN", "ELACESTRANT",
            "EVEROLIMUS", "ALPELISIB", "CAPIVASERTIB", "OLAPARIB", "CAPECITABINE",
            "PACLITAXEL", "NAB_PACLITAXEL", "ERIBULIN", "VINORELBINE", "DOXORUBICIN",
            "TRASTUZUMAB_DERUXTECAN", "SACITUZUMAB_GOVITECAN",
        ),
        # Line 1 is the CDK4/6 inhibitor the study is about, with its endocrine partner.
        first_line_classes=(
            (DrugClass.CDK46_INHIBITOR,),
            (DrugClass.AROMATASE_INHIBITOR, DrugClass.SERD),
        ),
        comorbidities=tuple(CodedItem(code, label) for code, label in (
            ("HYPERTENSION", "Arterial hypertension"),
            ("DIABETES", "Diabetes mellitus"),
            ("CARDIAC", "Ischaemic heart disease or heart failure"),
            ("ARRHYTHMIA", "Arrhythmia or QTc prolongation"),
            ("VTE", "Previous venous thromboembolism"),
            ("COPD", "Chronic obstructive pulmonary disease"),
            ("RENAL", "Chronic kidney disease"),
            ("HEPATIC", "Chronic liver disease"),
            ("OSTEOPOROSIS", "Osteoporosis"),
            ("OTHER_CANCER", "Previous other malignancy"),
            ("DEPRESSION", "Depression or anxiety disorder"),
            ("OTHER", "Other (say which)"),
        )),
        collected_items=(
            CodedItem("BASELINE_CT", "Baseline CT scan"),
            CodedItem("FDG_PET", "FDG-PET scan"),
            CodedItem("HE_SLIDE", "Digitised H&E slide"),
            CodedItem("TUMOUR_BLOCK", "Tumour block"),
        ),
    ),
)
