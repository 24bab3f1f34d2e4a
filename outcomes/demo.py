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
from outcomes.models import FORM_CODE
from trialsite.models import Role
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
