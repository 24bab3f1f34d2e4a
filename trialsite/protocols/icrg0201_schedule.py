"""ICRG0201 visit schedule, as read from the protocol's schedule of assessments.

Day 0 is D1 (registration and first dose of palbociclib with the aromatase inhibitor); months
are 28-day cycles. Screening from day -28 to -1; baseline on D1 (up to 3 days late); monthly
visits M1 and M2 (window -3..+7), M3 at day 84 (window +-7), then every 84 days (M6, M9, M12 ...;
window +-14) until progression, death or withdrawal. End of treatment within 30 days after
progression is recorded, then survival follow-up every 84 days (+-14). Unscheduled visits at any
time. A liquid biopsy is drawn at BL, M1, M2, M3, every quarterly visit and EOT; clinical
assessment with haematology and chemistry at every on-treatment visit; RECIST imaging at
screening (baseline, within 28 days before D1), M3 and every quarterly visit.
"""

from trialsite.protocols.schedule import (
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

# Every on-treatment visit: clinical assessment with haematology and chemistry (protocol: "at
# every visit").
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
        until=frozenset({StopEvent.PROGRESSION, StopEvent.DEATH, StopEvent.WITHDRAWAL}),
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
    # Survival follow-up every 84 days (+-14) from EOT; survival status only, no labs.
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
        until=frozenset({StopEvent.DEATH, StopEvent.WITHDRAWAL}),
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
)
