"""ICRG0201 visit schedule: what the registry text gives, and what we chose where it is silent.

From the registry text (NCT05190094, seed 000): palbociclib with letrozole or anastrozole
"will continue until progression"; response is "evaluated every three months using clinical and
radiological assessments" (RECIST 1.1); liquid biopsies "at enrolment, each month for the first
three months and then every three months until relapse"; PFS is a secondary endpoint; the
registry's study completion date is 2026-06-30.

Our reading: day 0 is D1 (registration and first dose); months are 28-day cycles, so "every
three months" is every 84 days. Screening from day -28 to -1; baseline on D1 (up to 3 days
late); M1 and M2 (window -3..+7), M3 at day 84 (+-7), then every 84 days (M6, M9, M12 ...;
+-14) until progression, death, withdrawal or the data cut-off. Tumour assessments are about
the disease, not the drug: a patient who stops treatment without progression (toxicity, own
choice) keeps the quarterly visits until progression, since PFS needs them. Progression adds
the end-of-treatment visit (EOT, within 30 days), then survival follow-up every 84 days (+-14)
until death, withdrawal or the data cut-off. Unscheduled visits at any time. A liquid biopsy at
BL, M1, M2, M3, every quarterly visit and EOT; clinical assessment with haematology and
chemistry at every on-treatment visit; RECIST imaging at screening (baseline, within 28 days
before D1), M3 and every quarterly visit.

Every value the registry text does not give is listed in ``SCHEDULE.assumptions`` with its
source: the windows, the 84-day reading of "three months", EOT, the survival follow-up and its
interval, and the data cut-off.
"""

from trialsite.protocols.schedule import (
    Assumption,
    EndOfTreatment,
    FollowUp,
    Numbering,
    RepeatingVisit,
    Schedule,
    StopEvent,
    UnscheduledVisit,
    VisitDef,
)

LIQUID_BIOPSY = "liquid_biopsy"

CLINICAL = "clinical_assessment"
HAEMATOLOGY = "haematology_labs"
CHEMISTRY = "chemistry_labs"
RECIST = "recist_imaging"
SURVIVAL = "survival_contact"

# Every on-treatment visit: clinical assessment with haematology and chemistry (our choice, see
# the assumptions: palbociclib causes neutropenia, so a blood count at every visit).
_VISIT_ASSESSMENTS = (CLINICAL, HAEMATOLOGY, CHEMISTRY)
_VISIT_FORMS = ("performance_status", "vital_signs", "haematology", "chemistry")
_TREATMENT_FORMS = _VISIT_FORMS + (
    "drug_exposure",
    "adverse_events",
    "concomitant_medications",
)
# Imaging visits add the RECIST tumour assessment (M3 and every quarterly visit).
_IMAGING_FORMS = _TREATMENT_FORMS + ("tumour_assessment",)

SCHEDULE = Schedule(
    anchor="D1: registration and first dose of palbociclib with the aromatase inhibitor",
    visits=(
        # Screening: days -28..-1. Baseline RECIST imaging must be within 28 days before D1,
        # which is this same window, so it is done at screening.
        VisitDef(
            code="SCR",
            label="Screening",
            day=-1,
            window_before=27,
            window_after=0,
            forms=_VISIT_FORMS + ("concomitant_medications", "tumour_assessment"),
            assessments=_VISIT_ASSESSMENTS + (RECIST,),
            required_forms=_VISIT_FORMS + ("tumour_assessment",),
        ),
        # Baseline on D1, at most 3 days late (no earlier: D1 is the first dose).
        VisitDef(
            code="BL",
            label="Baseline (D1)",
            day=0,
            window_before=0,
            window_after=3,
            forms=_TREATMENT_FORMS,
            samples=(LIQUID_BIOPSY,),
            assessments=_VISIT_ASSESSMENTS,
            required_forms=_VISIT_FORMS + ("drug_exposure",),
        ),
        VisitDef(
            code="M1",
            label="Month 1",
            day=28,
            window_before=3,
            window_after=7,
            forms=_TREATMENT_FORMS,
            samples=(LIQUID_BIOPSY,),
            assessments=_VISIT_ASSESSMENTS,
            required_forms=_TREATMENT_FORMS,
        ),
        VisitDef(
            code="M2",
            label="Month 2",
            day=56,
            window_before=3,
            window_after=7,
            forms=_TREATMENT_FORMS,
            samples=(LIQUID_BIOPSY,),
            assessments=_VISIT_ASSESSMENTS,
            required_forms=_TREATMENT_FORMS,
        ),
        VisitDef(
            code="M3",
            label="Month 3",
            day=84,
            window_before=7,
            window_after=7,
            forms=_IMAGING_FORMS,
            samples=(LIQUID_BIOPSY,),
            assessments=_VISIT_ASSESSMENTS + (RECIST,),
            required_forms=_IMAGING_FORMS,
        ),
    ),
    repeat=RepeatingVisit(
        # Quarterly after M3: M6 day 168, M9 day 252, M12 day 336 ... (+-14).
        code_prefix="M",
        label_template="Month {number}",
        first_day=168,
        every_days=84,
        window_before=14,
        window_after=14,
        forms=_IMAGING_FORMS,
        samples=(LIQUID_BIOPSY,),
        assessments=_VISIT_ASSESSMENTS + (RECIST,),
        required_forms=_IMAGING_FORMS,
        # Progression stops them, not the end of treatment: a patient who stops palbociclib
        # for toxicity keeps her tumour assessments (PFS is an endpoint).
        until=frozenset({StopEvent.PROGRESSION, StopEvent.DEATH, StopEvent.WITHDRAWAL,
                         StopEvent.DATA_CUT_OFF}),
        numbering=Numbering.MONTH,
        days_per_month=28,
    ),
    # EOT "within 30 days after progression is recorded": target = progression date, 0..+30.
    end_of_treatment=EndOfTreatment(
        code="EOT",
        label="End of treatment",
        window_before=0,
        window_after=30,
        trigger=StopEvent.PROGRESSION,
        forms=_TREATMENT_FORMS,
        samples=(LIQUID_BIOPSY,),
        assessments=_VISIT_ASSESSMENTS,
        required_forms=_TREATMENT_FORMS,
    ),
    # Survival follow-up every 84 days (+-14) from EOT; survival status only, no labs. It goes
    # on after every later treatment, until death, withdrawal or the data cut-off.
    follow_up=FollowUp(
        code_prefix="FU",
        label_template="Survival follow-up {number}",
        first_day=84,
        every_days=84,
        window_before=14,
        window_after=14,
        forms=("survival_status",),
        assessments=(SURVIVAL,),
        required_forms=("survival_status",),
        until=frozenset({StopEvent.DEATH, StopEvent.WITHDRAWAL, StopEvent.DATA_CUT_OFF}),
    ),
    unscheduled=UnscheduledVisit(
        code_prefix="UNS",
        label="Unscheduled visit",
        forms=(
            "performance_status",
            "vital_signs",
            "haematology",
            "chemistry",
            "adverse_events",
            "concomitant_medications",
            "tumour_assessment",
        ),
        assessments=_VISIT_ASSESSMENTS,
    ),
    # Two quarterly intervals (2 x 84 days): the next two quarterly visits always exist, so
    # coordinators can book imaging and biopsy slots; later ones appear as time passes, and a
    # progression cancels few visits that were never due.
    materialise_ahead_days=168,
    retrospective_entry=False,
    # Not set: see the first assumption. Setting a date here stops the quarterly and survival
    # follow-up visits at it (both rules name the data cut-off among their stop events).
    data_cut_off=None,
    assumptions=(
        Assumption(
            "No data cut-off set yet: quarterly and survival follow-up visits continue until "
            "death or withdrawal",
            "The registry text gives no data cut-off. Its 'Study Completion Date' 2026-06-30 "
            "is an estimate made while the study was still recruiting (last updated "
            "2025-05-07, sites not yet recruiting, about 2 years of treatment per patient), "
            "and it has passed: used as a cut-off it would stop the follow-up of patients "
            "still on study. The sponsor declares the real cut-off in data_cut_off.",
        ),
        Assumption(
            "'Every three months' read as every 84 days (three 28-day cycles), from D1",
            "The registry text says 'every three months'; the cycles of palbociclib are 28 "
            "days (3 weeks on, 1 off), so visits fall on the same day of the cycle.",
        ),
        Assumption(
            "Visit windows: screening days -28..-1, BL 0..+3, M1/M2 -3..+7, M3 +-7, "
            "quarterly +-14, EOT 0..+30, survival follow-up +-14",
            "The registry text gives no windows; these are usual for a phase II oncology "
            "schedule of assessments (our choice, pending the full protocol).",
        ),
        Assumption(
            "Clinical assessment, haematology and chemistry at every on-treatment visit",
            "The registry text gives the clinical and radiological assessments every three "
            "months only; palbociclib's main toxicity is neutropenia, which needs a blood "
            "count at each cycle visit.",
        ),
        Assumption(
            "End-of-treatment visit within 30 days after progression",
            "The registry text says treatment continues until progression and names no EOT "
            "visit; a visit closing the treatment phase is usual practice.",
        ),
        Assumption(
            "Survival follow-up every 84 days (+-14) after progression, until death, "
            "withdrawal or the data cut-off",
            "The registry text names no survival follow-up; PFS (D1 to progression or death) "
            "needs the deaths after progression to be known, and the quarterly rhythm of the "
            "study is kept.",
        ),
        Assumption(
            "Quarterly tumour assessments continue after a stop without progression",
            "The registry text evaluates response every three months and reports PFS; stopping "
            "the assessments at a toxicity stop would leave PFS censored early.",
        ),
    ),
)
