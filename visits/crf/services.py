"""Every write to the visit forms; after each, the visit's entered forms and status follow.

A form's values arrive as a dict of model field names (what the page's form cleaned). The rules
that need only the record are the models' (``full_clean`` in ``audited_save``); the ones that
need the visit, the patient or the protocol are here. Errors name the field they belong to, so a
page shows them where the value was typed.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from enrollment import services as enrollment_services
from trialsite import access
from trialsite.audit import audited_save, check_version, record_update, record_void
from trialsite.monitoring.services import edit_checks_run
from visits import services as visit_services
from visits.crf.domain.dosing import days_taken_error
from visits.crf.domain.exposure import records_a_dose
from visits.crf.models import (
    DISCONTINUED,
    PATIENT_LISTS,
    VISIT_RECORDS,
    AdverseEvent,
    Chemistry,
    ConcomitantMedication,
    DrugExposure,
    Haematology,
    ListReview,
    PerformanceStatus,
    SurvivalStatus,
    VitalSigns,
)
from visits.crf.selectors import (
    baseline_code,
    dose_rank,
    humanise,
    previous_drug_exposure,
    site_today,
    treatment_of,
)
from visits.models import Visit

#: Visit statuses that take no data: the visit did not happen.
CLOSED_STATUSES = frozenset({Visit.Status.MISSED, Visit.Status.CANCELLED})


# --- checks shared by every form --------------------------------------------------------------


def _require_writable(actor, patient):
    access.require_data_entry(actor, patient.site)
    if patient.is_voided:
        raise ValidationError("This patient's record is voided: its forms can no longer change.")


def _require_open_visit(visit, form_code):
    if form_code not in visit.forms:
        raise ValidationError(f"Visit {visit.code} does not collect {humanise(form_code)}.")
    if visit.status in CLOSED_STATUSES:
        raise ValidationError(
            f"Visit {visit.code} was reported {visit.get_status_display().lower()}: "
            "no forms are entered for it."
        )


def _not_in_future(values, site, *fields):
    today = site_today(site)
    errors = {
        name: f"The date is in the future (today is {today.isoformat()} at the site)."
        for name in fields
        if values.get(name) is not None and values[name] > today
    }
    if errors:
        raise ValidationError(errors)


def _changes(record, values):
    changes = {name: value for name, value in values.items() if getattr(record, name) != value}
    if not changes:
        raise ValidationError("Nothing was changed, so no new version was saved.")
    return changes


def _require_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "A reason for change is required."})
    return reason


def _mark_entered(*, actor, visit, form_code, entered=True, actual_date=None, reason):
    """Add (or remove) ``form_code`` among the visit's entered forms; the status follows.

    The visit is read again, locked, inside the caller's transaction, so two forms of the same
    visit saved at once both count. Nothing is written when nothing about the visit changes.
    """
    fresh = Visit.objects.select_for_update().get(pk=visit.pk)
    fresh.patient = visit.patient
    codes = set(fresh.entered_forms)
    if entered:
        codes.add(form_code)
    else:
        codes.discard(form_code)
    new_date = actual_date or fresh.actual_date
    if (sorted(codes) == sorted(fresh.entered_forms) and new_date == fresh.actual_date
            and fresh.status in (Visit.Status.COMPLETED, Visit.Status.INCOMPLETE)):
        return fresh
    return visit_services.visit_record_forms(
        actor=actor, visit=fresh, entered_forms=codes, actual_date=new_date, reason=reason,
    )


# --- one record per visit ---------------------------------------------------------------------


def _visit_record_save(model, *, actor, visit, values, expected_version, reason, check=None):
    """Create the visit's record of ``model`` or apply a correction to it."""
    patient = visit.patient
    _require_writable(actor, patient)
    _require_open_visit(visit, model.FORM_CODE)
    values = dict(values)
    if check is not None:
        check(visit, values)
    label = humanise(model.FORM_CODE)
    with transaction.atomic():
        record = model.objects.select_for_update().filter(visit=visit).first()
        if record is None:
            record = audited_save(model(visit=visit, **values), actor=actor)
            why = f"{label} entered"
        else:
            # A page that opened the form before anyone entered it sends version 0.
            check_version(record, expected_version)
            why = _require_reason(reason)
            record = record_update(record, actor=actor, expected_version=expected_version,
                                   reason=why, changes=_changes(record, values))
        actual_date = _visit_date(model, visit, values)
        record.visit = _mark_entered(actor=actor, visit=visit, form_code=model.FORM_CODE,
                                     actual_date=actual_date, reason=why)
        # The protocol's edit checks open or close their automatic queries with the save.
        edit_checks_run(patient_pks=[patient.pk])
    return record


def _visit_date(model, visit, values):
    """The visit date a record gives: its visit date field, or its contact date when no other
    form of the visit records the visit date (a survival-only follow-up contact)."""
    if model.VISIT_DATE_FIELD:
        return values.get(model.VISIT_DATE_FIELD)
    contact = getattr(model, "CONTACT_DATE_FIELD", "")
    if contact and not any(VISIT_RECORDS[code].VISIT_DATE_FIELD for code in visit.forms
                           if code in VISIT_RECORDS):
        return values.get(contact)
    return None


def _check_performance_status(visit, values):
    _not_in_future(values, visit.patient.site, "visit_date")


def performance_status_save(*, actor, visit, values, expected_version=None, reason=None):
    """WHO performance status and the visit date (which becomes the visit's actual date)."""
    return _visit_record_save(PerformanceStatus, actor=actor, visit=visit, values=values,
                              expected_version=expected_version, reason=reason,
                              check=_check_performance_status)


def _check_vital_signs(visit, values):
    if values.get("height_cm") is None and visit.code == baseline_code(
        visit.patient.site.study.protocol
    ):
        raise ValidationError({"height_cm": "Height is measured at baseline: enter it."})


def vital_signs_save(*, actor, visit, values, expected_version=None, reason=None):
    return _visit_record_save(VitalSigns, actor=actor, visit=visit, values=values,
                              expected_version=expected_version, reason=reason,
                              check=_check_vital_signs)


def _check_lab(visit, values):
    _not_in_future(values, visit.patient.site, "sample_date")


def haematology_save(*, actor, visit, values, expected_version=None, reason=None):
    """Blood counts with the site's reference ranges; haemoglobin is stored in g/dL."""
    return _visit_record_save(Haematology, actor=actor, visit=visit, values=values,
                              expected_version=expected_version, reason=reason, check=_check_lab)


def chemistry_save(*, actor, visit, values, expected_version=None, reason=None):
    return _visit_record_save(Chemistry, actor=actor, visit=visit, values=values,
                              expected_version=expected_version, reason=reason, check=_check_lab)


def _levels_text(treatment):
    doses = [level for level in treatment.dose_levels if level != DISCONTINUED]
    return f"{', '.join(doses)} mg, or discontinued"


def _shown_level(level):
    return "discontinued" if level == DISCONTINUED else f"{level} mg"


def _check_drug_exposure(visit, values):
    patient = visit.patient
    _not_in_future(values, patient.site, "cycle_start_date")
    treatment = treatment_of(patient)
    if treatment.cdk46i is None:
        raise ValidationError("The patient has no CDK4/6 inhibitor recorded at enrolment.")
    values["drug"] = treatment.cdk46i.code
    level = values.get("dose_level")
    rank = dose_rank(treatment, level)
    if rank is None:
        raise ValidationError({"dose_level": (
            f"{level} is not a dose level of {treatment.cdk46i.name}: "
            f"{_levels_text(treatment)}."
        )})
    errors = {}
    days_error = days_taken_error(values.get("days_taken"), treatment.cdk46i)
    if days_error:
        errors["days_taken"] = days_error
    if treatment.ovarian_suppression is None:
        if values.get("ovarian_suppression_adherence"):
            errors["ovarian_suppression_adherence"] = "The patient has no ovarian suppression."
        values["ovarian_suppression_adherence"] = ""
    elif not values.get("ovarian_suppression_adherence"):
        errors["ovarian_suppression_adherence"] = "Say how ovarian suppression was taken."
    previous = previous_drug_exposure(visit)
    if previous is not None:
        before = previous.dose_level
        where = f"the previous record, {_shown_level(before)}"
    else:
        enrolment = patient.enrolment
        before = format(enrolment.cdk46i_start_dose_mg.normalize(), "f")
        where = f"the starting dose, {before} mg"
    before_rank = dose_rank(treatment, before)
    if before_rank is not None:
        if values.get("reduced") and rank <= before_rank:
            errors["dose_level"] = f"A reduction goes to a level below {where}."
        elif values.get("reduced") is False and rank > before_rank and level != DISCONTINUED:
            errors["reduced"] = (
                f"{_shown_level(level)} is below {where}: record it as a reduction, with its "
                "reason."
            )
    if errors:
        raise ValidationError(errors)


def drug_exposure_save(*, actor, visit, values, expected_version=None, reason=None):
    """CDK4/6 inhibitor dose, days taken, interruption, reduction and endocrine adherence.

    The first dose recorded for an enrolled patient moves her on treatment (status follows the
    data), recorded by the system user in the same transaction.
    """
    with transaction.atomic():
        record = _visit_record_save(DrugExposure, actor=actor, visit=visit, values=values,
                                    expected_version=expected_version, reason=reason,
                                    check=_check_drug_exposure)
        visit.patient = enrollment_services.patient_status_follow_dose(
            patient=visit.patient,
            dose_given=records_a_dose(record.dose_level, record.days_taken),
            reason=(f"First dose recorded: study drug exposure of visit {visit.code}, cycle "
                    f"from {record.cycle_start_date:%Y-%m-%d}"))
    return record


def _check_survival_status(visit, values):
    patient = visit.patient
    _not_in_future(values, patient.site, "last_contact_date", "death_date")
    errors = {
        name: (f"The date is before the patient's consent "
               f"({patient.consent_date.isoformat()}).")
        for name in ("last_contact_date", "death_date")
        if values.get(name) is not None and values[name] < patient.consent_date
    }
    if errors:
        raise ValidationError(errors)


def survival_status_save(*, actor, visit, values, expected_version=None, reason=None):
    """Vital status at a follow-up contact, with the date and cause of death if the patient
    died."""
    with transaction.atomic():
        record = _visit_record_save(SurvivalStatus, actor=actor, visit=visit, values=values,
                                    expected_version=expected_version, reason=reason,
                                    check=_check_survival_status)
        patient = visit.patient
        if record.vital_status == "dead" and patient.death_date is None:
            # A death reported at follow-up is the patient's death: later visits are cancelled
            # and the patient goes off study, as when it is recorded from the casebook.
            visit_services.record_death(actor=actor, patient=patient,
                                        death_date=record.death_date,
                                        cause=record.death_cause,
                                        reason=f"Reported at visit {visit.code}")
    return record


# --- lists per patient ------------------------------------------------------------------------


def _check_adverse_event(patient, values):
    _not_in_future(values, patient.site, "start_date", "end_date")
    treatment = treatment_of(patient)
    if treatment.ovarian_suppression is None:
        if values.get("relation_ovarian_suppression"):
            raise ValidationError({"relation_ovarian_suppression":
                                   "The patient has no ovarian suppression."})
        values["relation_ovarian_suppression"] = ""
    elif not values.get("relation_ovarian_suppression"):
        raise ValidationError({"relation_ovarian_suppression":
                               "Give the relation to ovarian suppression."})


def _check_concomitant_medication(patient, values):
    _not_in_future(values, patient.site, "start_date", "stop_date")


_LIST_CHECKS = {
    AdverseEvent: _check_adverse_event,
    ConcomitantMedication: _check_concomitant_medication,
}


def _list_create(model, *, actor, visit, values):
    patient = visit.patient
    _require_writable(actor, patient)
    _require_open_visit(visit, model.FORM_CODE)
    values = dict(values)
    _LIST_CHECKS[model](patient, values)
    with transaction.atomic():
        item = audited_save(model(patient=patient, visit=visit, **values), actor=actor)
        item.visit = _mark_entered(
            actor=actor, visit=visit, form_code=model.FORM_CODE,
            reason=f"{humanise(model.FORM_CODE)}: {item} reported",
        )
    return item


def _list_update(item, *, actor, values, expected_version, reason):
    patient = item.patient
    _require_writable(actor, patient)
    if item.is_voided:
        raise ValidationError("This entry is voided: it can no longer change.")
    values = dict(values)
    _LIST_CHECKS[type(item)](patient, values)
    check_version(item, expected_version)
    reason = _require_reason(reason)
    return record_update(item, actor=actor, expected_version=expected_version, reason=reason,
                         changes=_changes(item, values))


def _list_void(item, *, actor, reason, expected_version):
    """Void an entry; its visit's list form is no longer entered if nothing else is left."""
    _require_writable(actor, item.patient)
    model = type(item)
    with transaction.atomic():
        item = record_void(item, actor=actor, reason=reason, expected_version=expected_version)
        visit = item.visit
        left = (model.objects.active().filter(visit=visit).exists()
                or ListReview.objects.active().filter(visit=visit,
                                                      form_code=model.FORM_CODE).exists())
        if not left:
            visit.patient = item.patient
            _mark_entered(actor=actor, visit=visit, form_code=model.FORM_CODE, entered=False,
                          reason=f"{humanise(model.FORM_CODE)}: the only entry reported at this "
                                 "visit was voided")
    return item


def adverse_event_create(*, actor, visit, values):
    """Report an adverse event at ``visit``; the visit's adverse event form is then entered."""
    return _list_create(AdverseEvent, actor=actor, visit=visit, values=values)


def adverse_event_update(*, actor, adverse_event, values, expected_version=None, reason=None):
    return _list_update(adverse_event, actor=actor, values=values,
                        expected_version=expected_version, reason=reason)


def adverse_event_void(*, actor, adverse_event, reason, expected_version=None):
    return _list_void(adverse_event, actor=actor, reason=reason,
                      expected_version=expected_version)


def concomitant_medication_create(*, actor, visit, values):
    return _list_create(ConcomitantMedication, actor=actor, visit=visit, values=values)


def concomitant_medication_update(*, actor, medication, values, expected_version=None,
                                  reason=None):
    return _list_update(medication, actor=actor, values=values,
                        expected_version=expected_version, reason=reason)


def concomitant_medication_void(*, actor, medication, reason, expected_version=None):
    return _list_void(medication, actor=actor, reason=reason, expected_version=expected_version)


def list_review_create(*, actor, visit, form_code):
    """Record that a list has nothing new at ``visit``: its form then counts as entered."""
    patient = visit.patient
    _require_writable(actor, patient)
    if form_code not in PATIENT_LISTS:
        raise ValidationError(f"{humanise(form_code)} is not a list.")
    _require_open_visit(visit, form_code)
    label = humanise(form_code).lower()
    if PATIENT_LISTS[form_code].objects.active().filter(visit=visit).exists():
        raise ValidationError(f"New {label} were reported at this visit.")
    with transaction.atomic():
        if ListReview.objects.filter(visit=visit, form_code=form_code).exists():
            raise ValidationError(f"“No new {label}” is already recorded for this visit.")
        review = audited_save(ListReview(visit=visit, form_code=form_code), actor=actor)
        review.visit = _mark_entered(actor=actor, visit=visit, form_code=form_code,
                                     reason=f"No new {label} at this visit")
    return review
