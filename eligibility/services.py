"""Every write to screenings: values, confirmation, screen failure, enrolment."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from eligibility.domain.engine import Verdict
from eligibility.domain.enrolment import ovarian_suppression_error
from eligibility.domain.screening import (
    evaluate_stored,
    values_hash,
    with_registration,
    with_retired_answers,
)
from eligibility.models import Screening
from enrollment import services as enrollment_services
from enrollment.domain.lifecycle import PatientStatus
from trialsite import access, esign
from trialsite.audit import audited_save, check_version
from trialsite.models import Role


def current_values(screening_or_values, patient):
    """The screening's values with the registration facts as they are now."""
    values = screening_or_values
    if isinstance(screening_or_values, Screening):
        values = screening_or_values.values
    values = with_retired_answers(values, patient.site.study.protocol.retired_answers)
    return with_registration(values, sex=patient.sex, birth_date=patient.birth_date,
                             consent_date=patient.consent_date)


def evaluate_for(patient, values):
    """The engine's evaluation of ``values`` (canonical strings) for ``patient``'s protocol."""
    protocol = patient.site.study.protocol
    return evaluate_stored(protocol.eligibility_variables, protocol.criteria,
                           current_values(values, patient))


def _require_screening_status(patient):
    if patient.status != PatientStatus.SCREENING:
        raise ValidationError(
            f"{patient.subject_id} is {patient.status_label.lower()}: the screening is closed."
        )


def screening_save(*, actor, patient, values, expected_version=None, reason=None):
    """Create or update the screening with ``values`` (canonical strings by variable name).

    The verdict is recomputed. A change to any value after an investigator's confirmation
    invalidates that confirmation, visibly (the record and its history say so).
    """
    access.require_data_entry(actor, patient.site)
    _require_screening_status(patient)
    values = current_values({k: v for k, v in values.items() if v not in ("", None)}, patient)
    evaluation = evaluate_for(patient, values)
    screening = Screening.objects.filter(patient=patient).first()
    with transaction.atomic():
        if screening is None:
            screening = Screening(patient=patient)
        else:
            if not (reason or "").strip():
                raise ValidationError({"reason": "A reason for change is required."})
            check_version(screening, expected_version)
            if screening.is_confirmed and values_hash(values) != screening.confirmed_values_hash:
                reason = (
                    f"{reason.strip()} (invalidates the eligibility confirmation by "
                    f"{screening.confirmed_by_name})"
                )
                screening.confirmed_by = None
                screening.confirmed_by_name = ""
                screening.confirmation_meaning = ""
                screening.confirmed_at = None
                screening.confirmed_values_hash = ""
                screening.confirmation_invalidated_at = timezone.now()
        screening.values = values
        screening.verdict = evaluation.verdict
        screening.failed_criteria = list(evaluation.failed_codes)
        screening.missing_variables = list(evaluation.missing_variables)
        return audited_save(screening, actor=actor, reason=reason)


def screening_confirm(*, actor, screening, password, expected_version=None):
    """The investigator's electronic signature on an ELIGIBLE screening (password re-entry)."""
    patient = screening.patient
    if not access.has_role_at(actor, Role.INVESTIGATOR, patient.site):
        raise PermissionDenied("Only an investigator of the patient's site confirms eligibility.")
    _require_screening_status(patient)
    esign.require_password(actor, password)
    check_version(screening, expected_version)
    values = current_values(screening, patient)
    evaluation = evaluate_for(patient, screening.values)
    if evaluation.verdict != Verdict.ELIGIBLE:
        raise ValidationError(
            f"Only an eligible screening can be confirmed ({evaluation.summary})."
        )
    if screening.is_confirmed:
        raise ValidationError("This screening is already confirmed.")
    with transaction.atomic():
        screening.values = values
        screening.confirmed_by = actor
        screening.confirmed_by_name = actor.printed_name
        screening.confirmation_meaning = Screening.CONFIRMATION_MEANING
        screening.confirmed_at = timezone.now()
        screening.confirmed_values_hash = values_hash(values)
        screening.confirmation_invalidated_at = None
        return audited_save(
            screening, actor=actor,
            reason=esign.signature_reason(actor, Screening.CONFIRMATION_MEANING),
        )


def screening_record_failure(*, actor, screening, reason, expected_version=None):
    """End a NOT_ELIGIBLE screening: the patient becomes screen failed, with the failed codes."""
    patient = screening.patient
    access.require_data_entry(actor, patient.site)
    _require_screening_status(patient)
    check_version(screening, expected_version)
    if not (reason or "").strip():
        raise ValidationError({"reason": "A reason is required."})
    evaluation = evaluate_for(patient, screening.values)
    if evaluation.verdict != Verdict.NOT_ELIGIBLE:
        raise ValidationError(
            "Only a not-eligible screening ends in screen failure "
            f"({evaluation.summary})."
        )
    codes = ", ".join(evaluation.failed_codes)
    with transaction.atomic():
        screening.screen_failed_at = timezone.now()
        screening.failed_criteria = list(evaluation.failed_codes)
        audited_save(screening, actor=actor, reason=f"Screen failure ({codes}): {reason.strip()}")
        enrollment_services.patient_record_screen_failure(
            actor=actor, patient=patient, reason=f"Screen failure: {codes}"
        )
    return screening


def enrolment_refusal(screening):
    """Why this screening cannot lead to enrolment now, or None if it can."""
    patient = screening.patient
    if patient.status != PatientStatus.SCREENING:
        return f"{patient.subject_id} is {patient.status_label.lower()}."
    evaluation = evaluate_for(patient, screening.values)
    if evaluation.verdict != Verdict.ELIGIBLE:
        return f"The screening is not eligible: {evaluation.summary}."
    if not screening.is_confirmed:
        return "An investigator has not confirmed eligibility yet."
    if values_hash(current_values(screening, patient)) != screening.confirmed_values_hash:
        return ("Screening or registration data changed after the confirmation: "
                "the investigator must confirm again.")
    return None


def screening_enrol(*, actor, screening, cdk46i, cdk46i_start_dose_mg, endocrine,
                    ovarian_suppression=False, expected_version=None):
    """Enrol the patient of a confirmed ELIGIBLE screening. There is no waiver."""
    patient = screening.patient
    access.require_data_entry(actor, patient.site)
    check_version(screening, expected_version)
    refusal = enrolment_refusal(screening)
    if refusal:
        raise ValidationError(refusal)
    protocol = patient.site.study.protocol
    plan = protocol.enrolment
    try:
        endocrine_drug = protocol.drug(endocrine)
    except KeyError:
        endocrine_drug = None  # refused by the enrolment service with the allowed drugs
    error = ovarian_suppression_error(plan, screening.values, endocrine_drug,
                                      bool(ovarian_suppression))
    if error:
        raise ValidationError({"ovarian_suppression": error})
    day1 = date.fromisoformat(screening.values[plan.day1_variable])
    return enrollment_services.patient_enrol(
        actor=actor, patient=patient, day1=day1, cdk46i=cdk46i,
        cdk46i_start_dose_mg=Decimal(cdk46i_start_dose_mg), endocrine=endocrine,
        ovarian_suppression=bool(ovarian_suppression),
        reason=f"Enrolled: eligibility confirmed by {screening.confirmed_by_name}",
    )
