"""Demo tumour assessments: every enrolled patient whose imaging visits were entered gets a
baseline (target and non-target lesions within the protocol's window before day 1) and a
RECIST 1.1 reading at each of those visits, through the outcomes services.

Each patient follows one synthetic course (responder, stable disease, slow or early
progression), so the study outcomes page shows responses, confirmations, progressions and
censoring as a real trial would. Progression found in a reading ends the schedule as in life.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from enrollment.models import Patient
from outcomes import selectors, services
from outcomes.models import FORM_CODE, TreatmentLine
from outcomes.realworld import selectors as rwd_selectors
from outcomes.realworld import services as rwd_services
from trialsite.models import Role
from visits import services as visit_services
from visits.models import Visit

ORGANS = [("liver", False), ("lung", False), ("lymph node", True), ("skin", False),
          ("adrenal gland", False)]
NONTARGET_ORGANS = ["bone", "pleura", "lymph node"]
#: Courses and their chances: the factor applied to the baseline sum at each reading.
COURSES = [
    ("responder", 0.35, [Decimal("0.80"), Decimal("0.62"), Decimal("0.55"), Decimal("0.52")]),
    ("stable", 0.35, [Decimal("0.95"), Decimal("0.92"), Decimal("0.97"), Decimal("0.93")]),
    ("late progression", 0.15, [Decimal("0.75"), Decimal("0.68"), Decimal("0.90"),
                                Decimal("1.10")]),
    ("early progression", 0.15, [Decimal("1.30")]),
]


def _course(rng):
    draw, total = rng.random(), 0.0
    for name, share, factors in COURSES:
        total += share
        if draw < total:
            return name, factors
    return COURSES[-1][0], COURSES[-1][2]


def _baseline_lesions(rng):
    count = rng.randint(1, 3)
    targets = []
    for index, (organ, nodal) in enumerate(rng.sample(ORGANS, count), 1):
        size = rng.randint(16, 40) if nodal else rng.randint(12, 55)
        targets.append({"lesion_id": f"T{index}", "organ": organ, "nodal": nodal,
                        "diameter_mm": Decimal(size)})
    nontargets = [{"lesion_id": "NT1", "organ": rng.choice(NONTARGET_ORGANS)}]
    return targets, nontargets


def seed(context):
    _seed_tumour_assessments(context)
    _seed_real_world(context)


def _seed_tumour_assessments(context):
    rng, today = context["rng"], context["today"]
    imaging_visits = {}
    for visit in (Visit.objects.filter(status__in=[Visit.Status.COMPLETED,
                                                   Visit.Status.INCOMPLETE],
                                       actual_date__isnull=False, actual_date__lte=today)
                  .order_by("target_date")):
        if FORM_CODE in visit.forms and FORM_CODE not in visit.entered_forms:
            imaging_visits.setdefault(visit.patient_id, []).append(visit.pk)
    patients = (Patient.objects.active().filter(pk__in=list(imaging_visits))
                .select_related("site__study", "enrolment").order_by("subject_id"))
    for patient in patients:
        if selectors.has_baseline(patient):
            continue
        coordinator = context["site_staff"][patient.site.code][Role.COORDINATOR][0]
        enrolment = patient.enrolment
        window = patient.site.study.protocol.response.baseline_window_days
        targets, nontargets = _baseline_lesions(rng)
        _, factors = _course(rng)
        with transaction.atomic():
            services.baseline_record(
                actor=coordinator, patient=patient,
                date=enrolment.day1 - timedelta(days=rng.randint(1, min(window, 21))),
                targets=targets, nontargets=nontargets)
            for index, pk in enumerate(imaging_visits[patient.pk]):
                visit = Visit.objects.select_related("patient__site__study").get(pk=pk)
                if visit.status == Visit.Status.CANCELLED:
                    break  # progression ended the schedule
                factor = factors[min(index, len(factors) - 1)]
                measurements = {t["lesion_id"]: (t["diameter_mm"] * factor).quantize(
                    Decimal("1")) for t in targets}
                new = "YES" if factor > 1 and rng.random() < 0.5 else "NO"
                assessment = services.assessment_record(
                    actor=coordinator,
                    patient=Patient.objects.select_related("site__study", "enrolment")
                    .get(pk=patient.pk),
                    visit=visit, date=visit.actual_date, measurements=measurements,
                    statuses={"NT1": "PRESENT"},
                    new_lesions=new, new_lesion_site="liver" if new == "YES" else "",
                    today=today)
                if assessment.computed_response == "PD":
                    break  # no scheduled imaging after progression


# --- real-world data (studies with a real-world plan) ------------------------------------------

LATER_REGIMENS = [["FULVESTRANT", "EVEROLIMUS"], ["EXEMESTANE", "EVEROLIMUS"],
                  ["FULVESTRANT", "ALPELISIB"], ["CAPECITABINE"], ["PACLITAXEL"],
                  ["ERIBULIN"], ["TRASTUZUMAB_DERUXTECAN"], ["FULVESTRANT", "CAPIVASERTIB"]]


def _seed_real_world(context):
    """Lines of therapy, comorbidities and sub-study items for the enrolled patients of studies
    that collect them, through the services; about one in eight has died since consent."""
    rng, today = context["rng"], context["today"]
    patients = [p for p in Patient.objects.active().filter(enrolment__isnull=False)
                .select_related("site__study", "enrolment").order_by("subject_id")
                if p.site.study.protocol.real_world is not None]
    done = set(TreatmentLine.objects.values_list("patient_id", flat=True))
    for patient in patients:
        if patient.pk in done:
            continue
        plan = patient.site.study.protocol.real_world
        coordinator = context["site_staff"][patient.site.code][Role.COORDINATOR][0]
        enrolment = patient.enrolment
        with transaction.atomic():
            if rng.random() < 0.12 and patient.consent_date < today:
                death = patient.consent_date + timedelta(
                    days=rng.randint(1, max(1, (today - patient.consent_date).days)))
                visit_services.record_death(
                    actor=coordinator, patient=patient, death_date=death,
                    cause=rng.choice(["progression", "progression", "other"]),
                    reason="Death reported by the treating oncologist (demo data)")
                patient = Patient.objects.select_related("site__study", "enrolment").get(
                    pk=patient.pk)
            last = rwd_selectors.last_contact(patient)
            start, number = enrolment.day1, 1
            drugs = [enrolment.cdk46i, enrolment.endocrine]
            while start < last and number <= 4:
                span = (last - start).days
                stops = rng.random() < (0.55 if number == 1 else 0.7) and span > 60
                stop = start + timedelta(days=rng.randint(60, span)) if stops else None
                reason = (rng.choice(["progression"] * 6 + ["toxicity", "patient_choice"])
                          if stop else "")
                if stop is not None and patient.death_date == stop:
                    reason = "death"
                rwd_services.line_record(
                    actor=coordinator, patient=patient, number=number, drugs=drugs,
                    start_date=start, stop_date=stop, stop_reason=reason,
                    best_response=rng.choice(["PR", "SD", "SD", "PD", "NA"]))
                if stop is None:
                    break
                start, number = stop, number + 1
                drugs = rng.choice(LATER_REGIMENS)
            for item in rng.sample(plan.comorbidities[:-1], rng.randint(0, 2)):
                rwd_services.comorbidity_record(actor=coordinator, patient=patient,
                                                code=item.code)
            for item in plan.collected_items:
                if rng.random() < 0.6:
                    rwd_services.item_record(
                        actor=coordinator, patient=patient, kind=item.code,
                        collected_on=enrolment.day1 - timedelta(days=rng.randint(0, 20)),
                        storage_reference=f"{patient.site.code}-ARCH-{rng.randint(1000, 9999)}",
                        consent_for_use=rng.random() < 0.9)
