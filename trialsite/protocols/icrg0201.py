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
    Drug,
    DrugClass,
    EnrolmentPlan,
    Protocol,
    ResponsePlan,
    Sex,
    Site,
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
    ),
    schedule=schedule.SCHEDULE,
    edit_checks=edit_checks.STANDARD_CHECKS,
    sample_plan=samples.SAMPLE_PLAN,
    spectra=spectra.SPECTRA_PLAN,
    example_candidate=eligibility.EXAMPLE_CANDIDATE,
    example_failure=eligibility.EXAMPLE_FAILURE,
    # Objective response is the primary endpoint of this non-randomised phase II trial:
    # CR/PR need confirmation >= 4 weeks later; SD counts from 6 weeks after day 1.
    response=ResponsePlan(min_sd_days=42, confirm_days=28, confirmation_required=True,
                          baseline_window_days=28),
)
