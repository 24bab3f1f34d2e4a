"""Every write to patients: registration, correction, status changes, withdrawal, void."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from enrollment.domain.lifecycle import (
    PROCESS_STATUSES,
    PatientStatus,
    TransitionNotAllowed,
    check_transition,
    status_after_dose,
)
from enrollment.models import Enrolment, Patient
from trialsite import access
from trialsite.audit import audited_save, check_version, record_update, record_void
from trialsite.models import Site

#: Fields a coordinator may correct after registration (with a reason).
CORRECTABLE_FIELDS = ("sex", "birth_date", "consent_date", "consent_version")


def _validate_consent_version(site, version):
    versions = site.study.protocol.consent_versions
    if version not in versions:
        raise ValidationError(
            {"consent_version": f"Version {version!r} is not in use; choose one of "
                                f"{', '.join(versions)}."}
        )


def _validate_dates(*, birth_date, consent_date, today):
    errors = {}
    if birth_date and birth_date > today:
        errors["birth_date"] = "The birth date is in the future."
    if consent_date and consent_date > today:
        errors["consent_date"] = "The consent date is in the future."
    if birth_date and consent_date and consent_date < birth_date:
        errors["consent_date"] = "Consent cannot be dated before birth."
    if errors:
        raise ValidationError(errors)


def patient_register(*, actor, site, sex, birth_date, consent_date, consent_version, today=None):
    """Register a consented person at ``site`` under the next free subject id (never reused)."""
    access.require_data_entry(actor, site)
    today = today or timezone.localdate()
    _validate_dates(birth_date=birth_date, consent_date=consent_date, today=today)
    _validate_consent_version(site, consent_version)
    with transaction.atomic():
        # Lock the site row so two registrations at once cannot take the same number. Voided
        # patients keep their rows, so the maximum is never lowered and numbers are never reused.
        locked_site = Site.objects.select_for_update().get(pk=site.pk)
        last = (
            Patient.objects.filter(site=locked_site)
            .order_by("-subject_number")
            .values_list("subject_number", flat=True)
            .first()
        )
        number = (last or 0) + 1
        patient = Patient(
            site=locked_site,
            subject_number=number,
            subject_id=f"{locked_site.code}-{number:03d}",
            sex=sex,
            birth_date=birth_date,
            consent_date=consent_date,
            consent_version=consent_version,
            status=PatientStatus.SCREENING,
        )
        return audited_save(patient, actor=actor)


def patient_update(*, actor, patient, expected_version, reason, today=None, **changes):
    """Correct registration data; refused if the record moved on since ``expected_version``."""
    access.require_data_entry(actor, patient.site)
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}")
    merged = {f: changes.get(f, getattr(patient, f)) for f in CORRECTABLE_FIELDS}
    _validate_dates(
        birth_date=merged["birth_date"], consent_date=merged["consent_date"],
        today=today or timezone.localdate(),
    )
    _validate_consent_version(patient.site, merged["consent_version"])
    if not (reason or "").strip():
        raise ValidationError({"reason": "A reason for change is required."})
    return record_update(
        patient, actor=actor, expected_version=expected_version, reason=reason, changes=changes
    )


def patient_change_status(*, actor, patient, status, reason, expected_version=None):
    """Move the patient along the lifecycle; a forbidden move is refused with the reason."""
    if status in PROCESS_STATUSES:
        raise ValidationError({"status": PROCESS_STATUSES[PatientStatus(status)]})
    return _set_status(actor=actor, patient=patient, status=status, reason=reason,
                       expected_version=expected_version)


def patient_record_screen_failure(*, actor, patient, reason):
    """Mark the patient screen failed; called by the screening service once NOT_ELIGIBLE."""
    return _set_status(actor=actor, patient=patient, status=PatientStatus.SCREEN_FAILED,
                       reason=reason)


def _set_status(*, actor, patient, status, reason, expected_version=None):
    access.require_data_entry(actor, patient.site)
    if not (reason or "").strip():
        raise ValidationError({"reason": "A reason for change is required."})
    check_version(patient, expected_version)
    if patient.is_voided:
        raise ValidationError("A voided record cannot change status.")
    try:
        check_transition(patient.status, status)
    except TransitionNotAllowed as exc:
        raise ValidationError({"status": str(exc)}) from exc
    with transaction.atomic():
        patient.status = status
        return audited_save(patient, actor=actor, reason=reason, changed={"status"})


def patient_status_follow_dose(*, patient, dose_given, reason):
    """Let the status follow a recorded dose: an enrolled patient goes on treatment.

    The data decide, so the system user records the change in the audit trail (with ``reason``
    naming the record), whoever entered the dose. Called inside the form's transaction; the
    patient is read again and locked so a concurrent change is not overwritten. Returns the
    patient, changed or not.
    """
    fresh = Patient.objects.select_for_update().get(pk=patient.pk)
    target = status_after_dose(fresh.status, dose_given=dose_given)
    if target is None or fresh.is_voided:
        return fresh
    from trialsite.services import system_user

    check_transition(fresh.status, target)
    fresh.status = target
    return audited_save(fresh, actor=system_user(), reason=reason, changed={"status"})


def patient_withdraw(*, actor, patient, withdrawal_date, reason, expected_version=None,
                     today=None):
    """Record the patient's withdrawal: off study from that date, with the reason."""
    access.require_data_entry(actor, patient.site)
    today = today or timezone.localdate()
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = "The reason for withdrawal is required."
    if withdrawal_date is None:
        errors["withdrawal_date"] = "The withdrawal date is required."
    elif withdrawal_date > today:
        errors["withdrawal_date"] = "The withdrawal date is in the future."
    elif withdrawal_date < patient.consent_date:
        errors["withdrawal_date"] = "Withdrawal cannot be dated before consent."
    if errors:
        raise ValidationError(errors)
    check_version(patient, expected_version)
    if patient.is_voided:
        raise ValidationError("A voided record cannot be withdrawn.")
    try:
        check_transition(patient.status, PatientStatus.OFF_STUDY)
    except TransitionNotAllowed as exc:
        raise ValidationError({"withdrawal_date": str(exc)}) from exc
    with transaction.atomic():
        patient.status = PatientStatus.OFF_STUDY
        patient.withdrawal_date = withdrawal_date
        patient.withdrawal_reason = reason.strip()
        return audited_save(
            patient, actor=actor, reason=f"Withdrawal: {reason.strip()}",
            changed={"status", "withdrawal_date", "withdrawal_reason"},
        )


def patient_void(*, actor, patient, reason, expected_version=None):
    """Void a registration entered in error; it stays visible, marked, to monitors."""
    access.require_data_entry(actor, patient.site)
    return record_void(patient, actor=actor, reason=reason, expected_version=expected_version)


def patient_enrol(*, actor, patient, day1, cdk46i, cdk46i_start_dose_mg, endocrine,
                  ovarian_suppression, reason):
    """Record day 1 and first-line treatment and move the patient to enrolled.

    Only the eligibility service calls this, after checking the confirmed screening; it
    validates the treatment against the protocol's enrolment plan.
    """
    access.require_data_entry(actor, patient.site)
    protocol = patient.site.study.protocol
    plan = protocol.enrolment
    errors = {}
    if cdk46i not in plan.cdk46i_drugs:
        errors["cdk46i"] = f"Choose one of {', '.join(plan.cdk46i_drugs)}."
    elif cdk46i_start_dose_mg not in protocol.drug(cdk46i).dose_levels_mg:
        levels = " / ".join(f"{d} mg" for d in protocol.drug(cdk46i).dose_levels_mg)
        errors["cdk46i_start_dose_mg"] = f"Dose levels of {protocol.drug(cdk46i).name}: {levels}."
    elif (plan.fixed_starting_dose
          and cdk46i_start_dose_mg != protocol.drug(cdk46i).starting_dose_mg):
        errors["cdk46i_start_dose_mg"] = (
            f"The protocol starts {protocol.drug(cdk46i).name} at "
            f"{protocol.drug(cdk46i).starting_dose_mg} mg."
        )
    if endocrine not in plan.endocrine_drugs:
        errors["endocrine"] = f"Choose one of {', '.join(plan.endocrine_drugs)}."
    if plan.day1_on_or_after_consent and day1 < patient.consent_date:
        errors["day1"] = "Day 1 cannot be before informed consent."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        enrolment = audited_save(
            Enrolment(patient=patient, day1=day1, cdk46i=cdk46i,
                      cdk46i_start_dose_mg=cdk46i_start_dose_mg, endocrine=endocrine,
                      ovarian_suppression=ovarian_suppression),
            actor=actor,
        )
        _set_status(actor=actor, patient=patient, status=PatientStatus.ENROLLED, reason=reason)
        return enrolment
