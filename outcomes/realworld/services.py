"""Every write to real-world data: lines of therapy, baseline comorbidities, collected items.

What may be recorded comes from the protocol's ``real_world`` plan; a study without one has
none of these records. Line rules are the pure ``outcomes.realworld.domain.lines`` checks, run
over all of the patient's lines with the new or changed one, so a problem is reported on the
field it is about however the line arrives (page, import).
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from enrollment.models import Enrolment
from outcomes.models import CollectedItem, Comorbidity, StopReason, TreatmentLine
from outcomes.realworld import selectors
from outcomes.realworld.domain import lines as line_rules
from trialsite import access
from trialsite.audit import audited_save, check_version, record_update, record_void
from visits.crf.selectors import site_today

LINE_FIELDS = ("drugs", "other_regimen", "start_date", "stop_date", "best_response",
               "stop_reason", "stop_reason_other")


def _plan(patient):
    plan = patient.site.study.protocol.real_world
    if plan is None:
        raise ValidationError(f"{patient.site.study.code} does not collect real-world data.")
    return plan


def _enrolment(patient):
    enrolment = Enrolment.objects.filter(patient=patient).first()
    if enrolment is None:
        raise ValidationError("Only an enrolled patient has real-world data.")
    return enrolment


def _reason(reason):
    if not (reason or "").strip():
        raise ValidationError({"reason": "A reason for change is required."})
    return reason.strip()


# --- lines of therapy -------------------------------------------------------------------------


def _domain_line(values, number):
    return line_rules.Line(number=number, drugs=tuple(values.get("drugs") or ()),
                           start=values["start_date"], stop=values.get("stop_date"),
                           stop_reason=values.get("stop_reason") or "",
                           other_regimen=values.get("other_regimen") or "")


def check_line(patient, values, *, number, replacing=None):
    """Raise ``ValidationError`` (field → message) unless the patient's lines, with this one
    (new, or in place of ``replacing``), keep every rule."""
    plan = _plan(patient)
    enrolment = _enrolment(patient)
    errors = {}
    if values.get("start_date") is None:
        errors["start_date"] = "The start date is required."
    today = site_today(patient.site)
    for name in ("start_date", "stop_date"):
        if values.get(name) and values[name] > today:
            errors[name] = "The date is in the future at the site."
    if values.get("stop_reason") == StopReason.OTHER and not (
            values.get("stop_reason_other") or "").strip():
        errors["stop_reason_other"] = "Say what the other reason was."
    if errors:
        raise ValidationError(errors)
    protocol = patient.site.study.protocol
    context = line_rules.Context(
        drug_classes={code: str(protocol.drug(code).drug_class) for code in plan.line_drugs},
        first_line_classes=plan.first_line_classes, day1=enrolment.day1,
        death_date=patient.death_date, last_contact=selectors.last_contact(patient))
    others = [line_rules.Line(number=line.number, drugs=tuple(line.drugs),
                              start=line.start_date, stop=line.stop_date,
                              stop_reason=line.stop_reason, other_regimen=line.other_regimen)
              for line in selectors.lines_of(patient)
              if replacing is None or line.pk != replacing.pk]
    problems = line_rules.check_lines([*others, _domain_line(values, number)], context)
    if problems:
        errors = {}
        for p in problems:
            key = p.field if p.line == number and p.field in LINE_FIELDS else "__all__"
            errors.setdefault(key, []).append(p.message)
        raise ValidationError(errors)


def line_record(*, actor, patient, number, **values):
    """Record line ``number`` of the patient's therapy for advanced disease."""
    access.require_data_entry(actor, patient.site)
    values = {name: values.get(name) for name in LINE_FIELDS}
    values["drugs"] = list(values["drugs"] or [])
    check_line(patient, values, number=number)
    return audited_save(TreatmentLine(patient=patient, number=number,
                                      **{k: v if v is not None else _blank(k)
                                         for k, v in values.items()}), actor=actor)


def _blank(name):
    return None if name == "stop_date" else ("NA" if name == "best_response" else "")


def line_update(*, actor, line, expected_version, reason, **changes):
    """Correct a line, audited with ``reason``, if still at ``expected_version``."""
    patient = line.patient
    access.require_data_entry(actor, patient.site)
    reason = _reason(reason)
    check_version(line, expected_version)
    if line.is_voided:
        raise ValidationError("A voided line cannot be corrected.")
    values = {name: getattr(line, name) for name in LINE_FIELDS}
    values.update({k: v for k, v in changes.items() if k in LINE_FIELDS})
    values["drugs"] = list(values["drugs"] or [])
    check_line(patient, values, number=line.number, replacing=line)
    changed = {k: (v if v is not None else _blank(k)) for k, v in values.items()
               if getattr(line, k) != (v if v is not None else _blank(k))}
    if not changed:
        return line
    return record_update(line, actor=actor, expected_version=expected_version, reason=reason,
                         changes=changed)


def line_void(*, actor, line, reason, expected_version=None):
    """Void a line (entered for the wrong patient, a duplicate); only the last line may go,
    so the numbering stays 1, 2, 3…"""
    access.require_data_entry(actor, line.patient.site)
    last = max((x.number for x in selectors.lines_of(line.patient)), default=None)
    if line.number != last:
        raise ValidationError(f"Void line {last} first: lines stay numbered 1, 2, 3….")
    return record_void(line, actor=actor, reason=reason, expected_version=expected_version)


# --- comorbidities and collected items ---------------------------------------------------------


def comorbidity_record(*, actor, patient, code, details=""):
    access.require_data_entry(actor, patient.site)
    plan = _plan(patient)
    _enrolment(patient)
    item = plan.comorbidity(code)
    if item is None:
        raise ValidationError({"code": f"{code!r} is not in the study's comorbidity list."})
    if code == "OTHER" and not (details or "").strip():
        raise ValidationError({"details": "Say which comorbidity."})
    if Comorbidity.objects.active().filter(patient=patient, code=code).exists():
        raise ValidationError({"code": f"{item.label} is already recorded."})
    return audited_save(Comorbidity(patient=patient, code=code,
                                    details=(details or "").strip()), actor=actor)


def comorbidity_void(*, actor, comorbidity, reason, expected_version=None):
    access.require_data_entry(actor, comorbidity.patient.site)
    return record_void(comorbidity, actor=actor, reason=reason,
                       expected_version=expected_version)


def _check_item(patient, kind, collected_on, storage_reference):
    plan = _plan(patient)
    errors = {}
    if plan.collected_item(kind) is None:
        errors["kind"] = f"{kind!r} is not an item the study collects."
    if collected_on is None:
        errors["collected_on"] = "The collection date is required."
    elif collected_on > site_today(patient.site):
        errors["collected_on"] = "The date is in the future at the site."
    if not (storage_reference or "").strip():
        errors["storage_reference"] = "Say where the item is stored."
    if errors:
        raise ValidationError(errors)


def item_record(*, actor, patient, kind, collected_on, storage_reference, consent_for_use):
    access.require_data_entry(actor, patient.site)
    _enrolment(patient)
    _check_item(patient, kind, collected_on, storage_reference)
    if CollectedItem.objects.active().filter(patient=patient, kind=kind).exists():
        raise ValidationError({"kind": "This item is already recorded: correct it instead."})
    return audited_save(CollectedItem(patient=patient, kind=kind, collected_on=collected_on,
                                      storage_reference=storage_reference.strip(),
                                      consent_for_use=bool(consent_for_use)), actor=actor)


def item_update(*, actor, item, expected_version, reason, **changes):
    access.require_data_entry(actor, item.patient.site)
    reason = _reason(reason)
    check_version(item, expected_version)
    values = {name: changes.get(name, getattr(item, name))
              for name in ("collected_on", "storage_reference", "consent_for_use")}
    _check_item(item.patient, item.kind, values["collected_on"], values["storage_reference"])
    changed = {k: v for k, v in values.items() if getattr(item, k) != v}
    if not changed:
        return item
    with transaction.atomic():
        return record_update(item, actor=actor, expected_version=expected_version,
                             reason=reason, changes=changed)


def item_void(*, actor, item, reason, expected_version=None):
    access.require_data_entry(actor, item.patient.site)
    return record_void(item, actor=actor, reason=reason, expected_version=expected_version)
