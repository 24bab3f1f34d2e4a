"""PALMARES-2 visit schedule: real-world follow-up from the start of the CDK4/6 inhibitor.

Day 0 is the start date of the first-line CDK4/6 inhibitor. Follow-up every 91 days (+-30): FU1
day 91, FU2 day 182 ... until death, withdrawal or data cut-off. The study is observational, so
progression does not end follow-up and there is no end-of-treatment visit. Patients who started
treatment before enrolment (the retrospective part) have visits whose windows closed before
registration: those are entered from the records as history and are never overdue.
"""

from trialsite.protocols.schedule import (
    Numbering,
    RepeatingVisit,
    Schedule,
    StopEvent,
    UnscheduledVisit,
    VisitDef,
)

CLINICAL = "clinical_assessment"
HAEMATOLOGY = "haematology_labs"
CHEMISTRY = "chemistry_labs"
TUMOUR = "tumour_assessment_per_practice"

# Observational: the forms record what routine care did, so labs and imaging are collected when
# done; only treatment exposure and vital status are required at every follow-up.
_FOLLOW_UP_FORMS = (
    "performance_status",
    "haematology",
    "chemistry",
    "drug_exposure",
    "adverse_events",
    "concomitant_medications",
    "tumour_assessment",
    "survival_status",
)

SCHEDULE = Schedule(
    anchor="Start date of the first-line CDK4/6 inhibitor",
    visits=(
        # Baseline is the state at CDK4/6 inhibitor start: results from up to 30 days before it
        # (the same tolerance as a follow-up window), never after it, since values taken on
        # treatment are no longer baseline.
        VisitDef(
            code="BL",
            label="Baseline (CDK4/6 inhibitor start)",
            day=0,
            window_before=30,
            window_after=0,
            forms=(
                "performance_status",
                "haematology",
                "chemistry",
                "drug_exposure",
                "concomitant_medications",
                "tumour_assessment",
            ),
            assessments=(CLINICAL, HAEMATOLOGY, CHEMISTRY, TUMOUR),
            required_forms=("performance_status", "drug_exposure"),
        ),
    ),
    repeat=RepeatingVisit(
        # Every 91 days (13 weeks) from the start, +-30 days (routine care is not booked to the
        # day): FU1 day 91, FU2 day 182, FU3 day 273 ...
        code_prefix="FU",
        label_template="Follow-up {number}",
        first_day=91,
        every_days=91,
        window_before=30,
        window_after=30,
        forms=_FOLLOW_UP_FORMS,
        assessments=(CLINICAL, HAEMATOLOGY, CHEMISTRY, TUMOUR),
        required_forms=("drug_exposure", "survival_status"),
        until=frozenset({StopEvent.DEATH, StopEvent.WITHDRAWAL, StopEvent.DATA_CUT_OFF}),
        numbering=Numbering.OCCURRENCE,
    ),
    unscheduled=UnscheduledVisit(
        code_prefix="UNS",
        label="Unscheduled visit",
        forms=_FOLLOW_UP_FORMS,
        assessments=(CLINICAL, HAEMATOLOGY, CHEMISTRY, TUMOUR),
    ),
    # Two follow-up intervals (2 x 91 days): the next two follow-ups always exist so sites can
    # plan data entry; later ones appear as time passes. For a retrospective patient every
    # visit from the start date up to this horizon is created at enrolment.
    materialise_ahead_days=182,
    retrospective_entry=True,
)
