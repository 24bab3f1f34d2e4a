"""Reads of real-world data shared by pages, services, reports and exports."""

from django.db.models import Max

from outcomes.models import CollectedItem, Comorbidity, TreatmentLine
from visits.crf.models import SurvivalStatus
from visits.models import Visit


def lines_of(patient):
    """The patient's active lines of therapy, by number (one query)."""
    return list(TreatmentLine.objects.active().filter(patient=patient).order_by("number"))


def regimen(line, protocol):
    """A line's regimen in words: the drugs' names, then the other drugs, joined by +."""
    names = [protocol.drug(code).name for code in line.drugs]
    if line.other_regimen:
        names.append(line.other_regimen)
    return " + ".join(names)


def last_contact(patient):
    """The last date the patient is known alive or seen: consent, a visit, a survival contact,
    or the death (three queries)."""
    dates = [patient.consent_date, patient.death_date]
    dates.append(Visit.objects.filter(patient=patient).aggregate(d=Max("actual_date"))["d"])
    dates.append(SurvivalStatus.objects.active().filter(visit__patient=patient)
                 .aggregate(d=Max("last_contact_date"))["d"])
    return max((d for d in dates if d is not None), default=None)


def comorbidities_of(patient):
    return list(Comorbidity.objects.active().filter(patient=patient).order_by("code"))


def items_of(patient):
    return list(CollectedItem.objects.active().filter(patient=patient).order_by("kind"))


def real_world(patient):
    """Everything the casebook panel and the patient's real-world page show."""
    plan = patient.site.study.protocol.real_world
    if plan is None:
        return None
    comorbidities = comorbidities_of(patient)
    items = {item.kind: item for item in items_of(patient)}
    labels = {c.code: c.label for c in plan.comorbidities}
    lines = lines_of(patient)
    protocol = patient.site.study.protocol
    return {
        "plan": plan,
        "lines": lines,
        "regimens": [(line, regimen(line, protocol)) for line in lines],
        "comorbidities": [(c, labels.get(c.code, c.code)) for c in comorbidities],
        "items": [(kind, items.get(kind.code)) for kind in plan.collected_items],
        "missing_items": [kind.label for kind in plan.collected_items
                          if kind.code not in items],
    }


def missing_items(patients, plan):
    """(patient, [missing item labels]) for each of ``patients`` (one query)."""
    have = {}
    for patient_id, kind in (CollectedItem.objects.active()
                             .filter(patient__in=[p.pk for p in patients])
                             .values_list("patient_id", "kind")):
        have.setdefault(patient_id, set()).add(kind)
    return [(p, [k.label for k in plan.collected_items if k.code not in have.get(p.pk, ())])
            for p in patients]
