"""PALMARES-2 visit schedule: real-world follow-up from the start of the CDK4/6 inhibitor.

From the registry text (NCT06805812, seed 004): retrospective and prospective, observational;
the primary objective of the RWD sub-study is overall survival (OS) by CDK4/6 inhibitor, and a
sub-study follows the lines of treatment given after progression on the first line; patients
with less than 3 months of follow-up from the CDK4/6 inhibitor start to the data cut-off are
excluded. The text gives no visit schedule and no cut-off date.

Our reading: day 0 is the start date of the first-line CDK4/6 inhibitor. Follow-up contacts
every 91 days (+-30): FU1 day 91, FU2 day 182 ... Since OS is primary, follow-up does not stop
at progression or at any later line: it continues until death, withdrawal or the data cut-off,
and there is no end-of-treatment visit. Patients who started treatment before enrolment (the
retrospective part) have visits whose windows closed before registration: those are entered from
the records as history and are never overdue.

Every value the registry text does not give is listed in ``SCHEDULE.assumptions`` with its
source: the follow-up interval and windows, the baseline window and the data cut-off.
"""

from datetime import date

from trialsite.protocols.schedule import (
    Assumption,
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
    data_cut_off=date(2040, 12, 31),
    assumptions=(
        Assumption(
            "Data cut-off 2040-12-31",
            "The registry text names a data cut-off (exclusion: under 3 months of follow-up "
            "to it) without its date; this is the 'Study Completion Date' of the "
            "ClinicalTrials.gov record NCT06805812 (last updated 2025-02-03), an estimate. "
            "No follow-up visit is planned after it.",
        ),
        Assumption(
            "Follow-up contacts every 91 days (13 weeks), window +-30 days",
            "The registry text gives no follow-up interval; a quarterly contact is usual in "
            "real-world oncology cohorts, and routine care is not booked to the day.",
        ),
        Assumption(
            "Follow-up continues after progression and every later line",
            "The registry text makes OS the primary endpoint of the RWD sub-study and follows "
            "the subsequent lines: both need contacts until death, withdrawal or cut-off.",
        ),
        Assumption(
            "Baseline results from up to 30 days before the CDK4/6 inhibitor start",
            "The registry text gives no baseline window; values on treatment are no longer "
            "baseline, and 30 days matches the follow-up tolerance.",
        ),
    ),
)
