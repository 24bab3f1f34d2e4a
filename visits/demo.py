"""Demo enrolments: signed demo screenings are enrolled with their visit schedules, and the
patients are taken along the lifecycle. Of the past visits, about 15 % are reported missed; at
ICRG0201 most of the others are entered through the visit form services (so they are completed,
or incomplete where a required form belongs to another module), and the rest are left for data
entry (and flagged overdue by the job, as they would be). PALMARES-2 visits stay without data:
its retrospective ones show as history."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from enrollment import services as patient_services
from enrollment.domain.lifecycle import PatientStatus
from trialsite.models import Role
from visits import services
from visits.crf import services as crf_services
from visits.crf.models import CYCLE_DAYS
from visits.crf.selectors import baseline_code
from visits.models import Visit

S = PatientStatus
#: Status changes made by hand after enrolment, where the demo enters no dose (an
#: observational study: day 1 is the recorded start of the drug). Where it enters visit data,
#: the first recorded dose puts the patient on treatment (the system does it, as in use) and
#: only the stop is made by hand.
AFTER_ENROLMENT = {
    S.ON_TREATMENT: [S.ON_TREATMENT],
    S.OFF_TREATMENT: [S.ON_TREATMENT, S.OFF_TREATMENT],
}
REASONS = {S.ON_TREATMENT: "CDK4/6 inhibitor started on day 1 (demo data)",
           S.OFF_TREATMENT: "Treatment stopped (demo data)"}

#: Shares of the past prospective visits reported missed and entered; the rest stay overdue.
MISSED_SHARE = 0.15
ENTERED_SHARE = 0.70
#: Chance that a visit after baseline reports a new (grade 1-2) adverse event.
AE_SHARE = 0.15

_D = Decimal
#: The site laboratory's reference ranges used by the demo (value field → (LLN, ULN)).
HAEMATOLOGY_RANGES = {"neutrophils": (_D("1.8"), _D("7.5")), "leucocytes": (_D("4.0"), _D("10.0")),
                      "platelets": (_D("150"), _D("400")), "haemoglobin": (_D("12.0"), _D("16.0")),
                      "lymphocytes": (_D("1.0"), _D("4.0"))}
CHEMISTRY_RANGES = {"bilirubin": (None, _D("17")), "ast": (None, _D("40")),
                    "alt": (None, _D("40")), "alp": (_D("40"), _D("120")),
                    "creatinine": (_D("45"), _D("90")), "calcium": (_D("2.15"), _D("2.55"))}


def seed(context):
    rng, today = context["rng"], context["today"]
    for screening, final in context.get("to_enrol", []):
        patient = screening.patient
        protocol = patient.site.study.protocol
        coordinator = context["site_staff"][patient.site.code][Role.COORDINATOR][0]
        plan = protocol.enrolment
        drug = protocol.drug(rng.choice(plan.cdk46i_drugs))
        dose = drug.starting_dose_mg if plan.fixed_starting_dose else rng.choice(
            drug.dose_levels_mg)
        with transaction.atomic():
            enrolment = services.enrol_with_schedule(
                actor=coordinator, screening=screening, cdk46i=drug.code,
                cdk46i_start_dose_mg=Decimal(dose), endocrine=rng.choice(plan.endocrine_drugs),
                today=today)
            current = enrolment.patient
            # Interventional studies (treatment from consent on) get visit data; an
            # observational study's retrospective schedule stays as history to enter.
            # A patient meant to stay "Enrolled" has no dose recorded yet, so no visit data
            # (the first dose would put them on treatment).
            enter = plan.day1_on_or_after_consent and final != S.ENROLLED
            if not enter:
                for status in AFTER_ENROLMENT.get(final, []):
                    current = patient_services.patient_change_status(
                        actor=coordinator, patient=current, status=status,
                        reason=REASONS[status])
            withdrawal = None
            if final == S.OFF_STUDY:
                withdrawal = min(today, max(enrolment.day1, patient.consent_date)
                                 + timedelta(days=rng.randint(30, 200)))
            # Past prospective visits (before a withdrawal): a few reported missed, most
            # entered where the study's demo has data; the rest wait for their data.
            state = {"weight": Decimal(rng.randint(550, 850)) / 10,
                     "height": Decimal(rng.randint(150, 175))}
            past = (Visit.objects.planned()
                    .filter(patient=patient, retrospective=False, window_end__lt=today)
                    .select_related("patient__site__study", "patient__enrolment")
                    .order_by("target_date"))
            if withdrawal is not None:
                past = past.filter(target_date__lte=withdrawal)
            for visit in past:
                draw = rng.random()
                if draw < MISSED_SHARE:
                    services.visit_record_missed(actor=coordinator, visit=visit,
                                                 reason="Patient did not attend (demo data)")
                elif enter and draw < MISSED_SHARE + ENTERED_SHARE:
                    _enter_visit(coordinator, visit, rng, today, state)
            current.refresh_from_db()
            if enter and final == S.OFF_TREATMENT and current.status == S.ON_TREATMENT:
                current = patient_services.patient_change_status(
                    actor=coordinator, patient=current, status=S.OFF_TREATMENT,
                    reason=REASONS[S.OFF_TREATMENT])
            if withdrawal is not None:
                services.patient_withdraw(
                    actor=coordinator, patient=current, withdrawal_date=withdrawal,
                    reason=rng.choice(["Patient decision", "Moved to another region",
                                       "Investigator decision"]))
    services.flag_overdue_visits(actor=context["system"], today=today)


# --- visit form data (ICRG0201) ---------------------------------------------------------------


def _uniform(rng, low, high, places):
    """A value between ``low`` and ``high`` with ``places`` decimals."""
    scale = 10 ** places
    return (_D(rng.randint(int(low * scale), int(high * scale))) / scale).quantize(
        _D(1).scaleb(-places))


def _lab_values(ranges, measured):
    values = {}
    for name, (lln, uln) in ranges.items():
        values.update({name: measured[name], f"{name}_lln": lln, f"{name}_uln": uln})
    return values


def _new_adverse_event(rng, visit_date, day1):
    """A grade 1-2 adverse event usual under a CDK4/6 inhibitor, starting before the visit."""
    start = max(day1, visit_date - timedelta(days=rng.randint(1, 12)))
    term, grade = rng.choice([("Neutrophil count decreased", 1),
                              ("Neutrophil count decreased", 2), ("Fatigue", 1), ("Fatigue", 2)])
    ended = rng.random() < 0.5 and start < visit_date
    return {
        "term": term, "grade": grade, "start_date": start,
        "end_date": min(visit_date, start + timedelta(days=rng.randint(3, 10))) if ended else None,
        "serious": False,
        "relation_cdk46i": "probable" if term.startswith("Neutrophil") else "possible",
        "relation_endocrine": rng.choice(["unlikely", "possible"]),
        "relation_ovarian_suppression": "not_related",
        "action_taken": "none", "outcome": "recovered" if ended else "not_recovered",
    }


def _enter_visit(actor, visit, rng, today, state):
    """Enter every form of ``visit`` this module knows, through the services, as the site's
    coordinator would: plausible values within the window, the protocol's starting dose."""
    patient = visit.patient
    enrolment = patient.enrolment
    day1 = enrolment.day1
    latest = min(visit.window_end, today)
    visit_date = min(latest, max(visit.window_start,
                                 visit.target_date + timedelta(days=rng.randint(-2, 3))))
    is_baseline = visit.code == baseline_code(patient.site.study.protocol)
    ae = None
    if not is_baseline and "adverse_events" in visit.forms and rng.random() < AE_SHARE:
        ae = _new_adverse_event(rng, visit_date, day1)
        if not enrolment.ovarian_suppression:
            ae["relation_ovarian_suppression"] = ""
    neutropenia = ae["grade"] if ae and ae["term"].startswith("Neutrophil") else 0
    neutrophils = {0: _uniform(rng, 1.9, 4.5, 2), 1: _D("1.62"), 2: _D("1.21")}[neutropenia]
    state["weight"] += _D(rng.randint(-10, 10)) / 10
    entries = {
        "performance_status": (crf_services.performance_status_save, {
            "visit_date": visit_date, "who_ps": rng.choice([0, 0, 1])}),
        "vital_signs": (crf_services.vital_signs_save, {
            "weight_kg": state["weight"], "height_cm": state["height"] if is_baseline else None,
            "systolic_mmhg": rng.randint(105, 140), "diastolic_mmhg": rng.randint(62, 88),
            "heart_rate_per_min": rng.randint(62, 92),
            "temperature_c": _uniform(rng, 36.2, 37.2, 1)}),
        "haematology": (crf_services.haematology_save, {
            "sample_date": visit_date, "haemoglobin_unit": "g/dL",
            **_lab_values(HAEMATOLOGY_RANGES, {
                "neutrophils": neutrophils,
                "leucocytes": max(neutrophils + _D("1.5"), _uniform(rng, 4.0, 7.5, 2)),
                "platelets": _uniform(rng, 160, 320, 0),
                "haemoglobin": _uniform(rng, 12.0, 14.2, 1),
                "lymphocytes": _uniform(rng, 1.1, 2.8, 2)})}),
        "chemistry": (crf_services.chemistry_save, {
            "sample_date": visit_date,
            **_lab_values(CHEMISTRY_RANGES, {
                "bilirubin": _uniform(rng, 5, 15, 0), "ast": _uniform(rng, 15, 36, 0),
                "alt": _uniform(rng, 12, 36, 0), "alp": _uniform(rng, 50, 110, 0),
                "creatinine": _uniform(rng, 50, 85, 0),
                "calcium": _uniform(rng, 2.2, 2.5, 2)})}),
        "survival_status": (crf_services.survival_status_save, {
            "last_contact_date": visit_date, "vital_status": "alive", "death_date": None,
            "death_cause": "", "death_cause_other": ""}),
    }
    if "drug_exposure" in visit.forms:
        # The cycle completed before the visit (baseline: the first, just started).
        cycle = max(0, round((visit_date - day1).days / CYCLE_DAYS) - 1)
        cycle_start = day1 + timedelta(days=cycle * CYCLE_DAYS)
        days_taken = (visit_date - day1).days + 1 if is_baseline else 21
        entries["drug_exposure"] = (crf_services.drug_exposure_save, {
            "dose_level": format(enrolment.cdk46i_start_dose_mg.normalize(), "f"),
            "cycle_start_date": cycle_start, "days_taken": min(days_taken, 21),
            "interrupted": False, "interruption_reason": "", "reduced": False,
            "reduction_reason": "",
            "endocrine_adherence": "as_prescribed" if rng.random() < 0.9 else "missed_doses",
            "ovarian_suppression_adherence": "as_prescribed" if enrolment.ovarian_suppression
            else ""})
    for code in visit.forms:
        if code in entries:
            service, values = entries[code]
            service(actor=actor, visit=visit, values=values)
        elif code == "adverse_events" and ae is not None:
            crf_services.adverse_event_create(actor=actor, visit=visit, values=ae)
        elif code in ("adverse_events", "concomitant_medications"):
            crf_services.list_review_create(actor=actor, visit=visit, form_code=code)
