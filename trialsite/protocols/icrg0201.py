"""ICRG0201 / NCT05190094: palbociclib + letrozole or anastrozole, serial liquid biopsies.

Read from the registry text: phase II, open label, single arm, 80 women with HR+/HER2- advanced
breast cancer, first line; palbociclib 125 mg daily 3 weeks on / 1 week off (28-day cycles) with
dose adaptation for safety (100 and 75 mg; below 75 mg the drug stops), with letrozole 2.5 mg or
anastrozole 1 mg daily; pre/peri-menopausal women also get ovarian function suppression.
"""

from decimal import Decimal

from trialsite.protocols import edit_checks
from trialsite.protocols import icrg0201_eligibility as eligibility
from trialsite.protocols import icrg0201_samples as samples
from trialsite.protocols import icrg0201_schedule as schedule
from trialsite.protocols import icrg0201_spectra as spectra
from trialsite.protocols.base import (
    Assumption,
    Drug,
    DrugClass,
    EnrolmentPlan,
    MedianCiMethod,
    PfsDefinition,
    Protocol,
    ResponsePlan,
    Sex,
    Sidedness,
    Site,
    StatisticsPlan,
)

PROTOCOL = Protocol(
    code="ICRG0201",
    registry_id="NCT05190094",
    title=(
        "Prediction of treatment efficacy of palbociclib with letrozole or anastrozole in "
        "first-line luminal HER2-negative advanced breast cancer, using infrared laser "
        "spectroscopy of liquid biopsies"
    ),
    short_title="Palbociclib + AI, quantum-optics liquid biopsies",
    design="Interventional, single arm, open label, multicentre",
    phase="Phase II",
    target_enrolment=80,
    sexes=frozenset({Sex.FEMALE}),
    min_age_years=18,
    max_age_years=None,
    drugs=(
        Drug(
            code="PALBOCICLIB",
            name="Palbociclib",
            drug_class=DrugClass.CDK46_INHIBITOR,
            dose_levels_mg=(Decimal("125"), Decimal("100"), Decimal("75")),
            regimen="once daily by mouth, 3 weeks on and 1 week off (28-day cycle)",
            # Registry text: "125 mg daily per os (3 weeks on-1 week off)".
            cycle_days=28,
            max_days_on_per_cycle=21,
        ),
        Drug(
            code="LETROZOLE",
            name="Letrozole",
            drug_class=DrugClass.AROMATASE_INHIBITOR,
            dose_levels_mg=(Decimal("2.5"),),
            regimen="once daily by mouth",
        ),
        Drug(
            code="ANASTROZOLE",
            name="Anastrozole",
            drug_class=DrugClass.AROMATASE_INHIBITOR,
            dose_levels_mg=(Decimal("1"),),
            regimen="once daily by mouth",
        ),
        Drug(
            code="LHRH_ANALOGUE",
            name="LHRH analogue (ovarian function suppression)",
            drug_class=DrugClass.OVARIAN_SUPPRESSION,
            regimen="pre/peri-menopausal women without oophorectomy",
        ),
    ),
    anchor="Day 1: registration and start of palbociclib with the aromatase inhibitor",
    sites=(
        Site("DZBLI", "EHS LCC Blida, Medical Oncology Center", "Blida", "Algeria",
             "Africa/Algiers", 12),
        Site("DZSET", "University Hospital Sétif", "Sétif", "Algeria", "Africa/Algiers", 10),
        Site("JOKHC", "King Hussein Cancer Center (KHCC)", "Amman", "Jordan", "Asia/Amman", 16),
        Site("SAKSM", "King Saud Medical City (KSMC)", "Riyadh", "Saudi Arabia",
             "Asia/Riyadh", 12),
        Site("SAKSU", "Medical Oncology Center, King Saud University Medical City (KSUMC)",
             "Riyadh", "Saudi Arabia", "Asia/Riyadh", 10),
        Site("SAKFM", "Medical Oncology Department, King Fahad Medical City (KFMC)", "Riyadh",
             "Saudi Arabia", "Asia/Riyadh", 10),
        Site("SAKFS", "Oncology Center, King Faisal Specialist Hospital and Research Centre",
             "Riyadh", "Saudi Arabia", "Asia/Riyadh", 10),
    ),
    consent_versions=("1.0", "1.1"),
    eligibility_variables=eligibility.VARIABLES,
    criteria=eligibility.CRITERIA,
    enrolment=EnrolmentPlan(
        day1_variable="registration_date",
        cdk46i_drugs=("PALBOCICLIB",),
        endocrine_drugs=("LETROZOLE", "ANASTROZOLE"),
        fixed_starting_dose=True,
        ovarian_suppression_variable="menopausal_status",
        # Inclusion 2: "pre/peri-menopausal women with surgical oophorectomy (preferred) or
        # analogs of LHRH"; the registry summary: AI "plus ovarian function suppression (OFS)
        # for pre/peri-menopausal patients".
        suppression_needed_codes=("PRE", "PERI"),
        suppression_method_variable="ovarian_suppression",
        oophorectomy_code="OOPHORECTOMY",
    ),
    schedule=schedule.SCHEDULE,
    edit_checks=edit_checks.STANDARD_CHECKS,
    sample_plan=samples.SAMPLE_PLAN,
    spectra=spectra.SPECTRA_PLAN,
    example_candidate=eligibility.EXAMPLE_CANDIDATE,
    retired_answers=eligibility.RETIRED_ANSWERS,
    assumptions=(
        Assumption(
            "visit windows",
            "screening days -28..-1; BL day 0..+3; M1, M2 -3..+7 days; M3 +-7; quarterly visits "
            "+-14; end of treatment within 30 days of progression; survival follow-up every 84 "
            "days +-14",
            "ASSUMPTION: the registry text gives only the cadence (at enrolment, monthly for "
            "three months, then every three months); windows are trialsite's reading "
            "(shared ARCHITECTURE §2), to be checked against the full protocol's schedule of "
            "assessments",
        ),
        Assumption(
            "liquid-biopsy tube, processing limits and aliquots",
            "one 10 mL K2-EDTA tube; centrifuged within 2 h and frozen at -80 °C within 4 h of "
            "the draw; 4 aliquots of 0.5 mL",
            "ASSUMPTION: not in the registry text; trialsite's sample-handling plan "
            "(icrg0201_samples.SAMPLE_PLAN), pending the central laboratory's manual or the "
            "sponsor's instructions",
        ),
        Assumption(
            "days on palbociclib per cycle",
            "at most 21 of each 28-day cycle",
            "registry text: \"125 mg daily per os (3 weeks on-1 week off)\"",
        ),
    ),
    example_failure=eligibility.EXAMPLE_FAILURE,
    # Objective response is the primary endpoint of this non-randomised phase II trial:
    # CR/PR need confirmation >= 4 weeks later; SD counts from 6 weeks after day 1.
    response=ResponsePlan(min_sd_days=42, confirm_days=28, confirmation_required=True,
                          baseline_window_days=28),
    statistics=StatisticsPlan(
        population="Intent-to-treat (ITT)",
        population_definition="all patients enrolled in the study",
        population_from_protocol=True,
        tests=Sidedness.ONE_SIDED,
        median_ci=MedianCiMethod.SIMON_LEE,
        pfs=PfsDefinition.RECIST,
        pfs_name="Progression-free survival (PFS)",
        pfs_event="Event: first progression (RECIST 1.1, or a progression recorded otherwise) "
                  "or death, from day 1.",
        pfs_censoring="Censored at the last adequate tumour assessment (any response but NE); "
                      "without one, at day 1.",
        confidence_level=0.95,
        sources=(
            'Registry text, Populations: "The Intent-to-Treat (ITT): all patients enrolled '
            'in the study."',
            'Registry text, Statistical Methodology: "All tests of hypotheses: one-sided. '
            'Confidence intervals of the median survival: method of Simon."',
            "Registry text, Secondary objectives: Progression-Free Survival (PFS).",
        ),
        assumptions=(
            "Confidence level 95 % (two-sided intervals): the registry text gives alpha 5 % "
            "for the sample size only.",
            "PFS event and censoring rules: the registry text names PFS without defining it; "
            "we follow the usual RECIST 1.1 definition (Eisenhauer 2009, §4.6 and appendix).",
        ),
    ),
)
