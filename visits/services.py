"""Every write to visits: the schedule at enrolment, its growth, overdue flags, reminders."""

from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from eligibility import services as eligibility_services
from enrollment import services as enrollment_services
from enrollment.domain.lifecycle import PatientStatus
from enrollment.models import Enrolment
from trialsite import access
from trialsite.audit import (
    audited_queryset_update,
    audited_save,
    bulk_create_audited,
    bulk_update_audited,
    check_version,
)
from trialsite.models import Membership, Role
from visits.domain.schedule import (
    FOLLOWED_STATUSES,
    VisitStatus,
    cancelled_after,
    cut_off_at_progression,
    horizon,
    is_retrospective,
    plan,
    window_status,
)
from visits.models import Visit, VisitReminder


def _new_visit(patient, planned, *, retrospective, screened_on=None):
    visit = Visit(
        patient=patient, code=planned.code, label=planned.label, kind=planned.kind,
        target_date=planned.target_date, window_start=planned.window_start,
        window_end=planned.window_end, retrospective=retrospective,
        forms=list(planned.forms), required_forms=list(planned.required_forms),
        samples=list(planned.samples), assessments=list(planned.assessments),
    )
    if screened_on is not None:
        # The screening visit of an interventional study is the eligibility screening itself.
        visit.status = Visit.Status.COMPLETED
        visit.status_reason = "Done as the eligibility screening"
    return visit


def planned_for(enrolment, *, today):
    """The plan of one enrolment up to the materialisation horizon (pure computation).

    After a recorded progression the plan is the one progression leaves (anchored visits up to
    it, then end of treatment and follow-up where the schedule declares them); every rule stops
    at the study's data cut-off.
    """
    schedule = enrolment.patient.site.study.protocol.schedule
    return plan(schedule, enrolment.day1, horizon(schedule, today),
                progression_date=enrolment.progression_date)


def schedule_create(*, actor, enrolment, today):
    """Create the patient's visits: the fixed ones and the repeating ones up to the horizon.

    The horizon (``materialise_ahead_days`` of the schedule: two repeat intervals) keeps the
    next visits visible for planning while a patient who stops does not leave years of empty
    visits behind; the daily job adds later ones as time passes.
    """
    patient = enrolment.patient
    schedule = patient.site.study.protocol.schedule
    enrolled_on = timezone.localdate(enrolment.created_at) if enrolment.created_at else today
    visits = []
    for planned in planned_for(enrolment, today=today):
        retrospective = is_retrospective(schedule, planned, enrolled_on)
        screened = (not schedule.retrospective_entry and planned.window_end < enrolment.day1)
        visits.append(_new_visit(patient, planned, retrospective=retrospective,
                                 screened_on=enrolment.day1 if screened else None))
    return bulk_create_audited(Visit, visits, actor=actor)


def enrol_with_schedule(*, actor, screening, today=None, **treatment):
    """Enrol from a confirmed screening and create the visit schedule, in one transaction."""
    today = today or timezone.localdate()
    with transaction.atomic():
        enrolment = eligibility_services.screening_enrol(actor=actor, screening=screening,
                                                         **treatment)
        schedule_create(actor=actor, enrolment=enrolment, today=today)
    return enrolment


def schedule_preview(protocol, day1, *, until):
    """What enrolment on ``day1`` would plan (the enrolment page and the schedule API)."""
    return plan(protocol.schedule, day1, until)


def followed_enrolments():
    """Enrolments whose schedule still grows: every patient not off study, dead or withdrawn
    (``visits.domain.schedule.is_followed``), whether on treatment or not."""
    return Enrolment.objects.active().filter(
        patient__status__in=list(FOLLOWED_STATUSES), patient__voided_at__isnull=True,
        patient__death_date__isnull=True, patient__withdrawal_date__isnull=True,
    )


def schedules_extend(*, actor, today):
    """Add the visits that came within the horizon since the schedules were last extended.

    Every followed patient's plan (tumour assessments until progression, then end of treatment
    and follow-up; or a real-world study's contacts whatever the treatment) is computed up to
    the horizon and the data cut-off, and the visits not yet created are added. Codes already
    present (done, planned, missed or cancelled) are never created again. Three queries and one
    bulk write whatever the number of patients.
    """
    followed = followed_enrolments()
    enrolments = list(followed.select_related("patient__site__study"))
    existing = defaultdict(set)
    for patient_id, code in Visit.objects.filter(
        patient_id__in=followed.values("patient_id")
    ).values_list("patient_id", "code"):
        existing[patient_id].add(code)
    new = []
    for enrolment in enrolments:
        for planned in planned_for(enrolment, today=today):
            if planned.code in existing[enrolment.patient_id]:
                continue
            new.append(_new_visit(enrolment.patient, planned, retrospective=False))
    bulk_create_audited(Visit, new, actor=actor, reason="Schedule extended")
    return len(new)


def flag_overdue_visits(*, actor, today):
    """Flag every visit whose window closed without data, and clear flags data resolved.

    Two set-based statements each (update and history), whatever the number of visits; a second
    run on the same day finds nothing to do.
    """
    flagged = audited_queryset_update(
        Visit.objects.newly_overdue(on=today), actor=actor,
        reason="Window closed without data: flagged overdue", overdue_since=today,
    )
    resolved = audited_queryset_update(
        Visit.objects.filter(overdue_since__isnull=False).exclude(status=Visit.Status.PLANNED),
        actor=actor, reason="Data arrived: overdue flag resolved", overdue_since=None,
    )
    return {"flagged": flagged, "resolved": resolved}


def visit_status_on(visit, today):
    """What to show for a visit on ``today``: the recorded outcome, or where its window is."""
    if visit.status != Visit.Status.PLANNED:
        return visit.status
    if visit.retrospective and visit.window_end < today:
        return VisitStatus.HISTORY
    return window_status(visit, today, has_data=False, complete=False)


def visit_record_forms(*, actor, visit, entered_forms, actual_date, reason=None):
    """Record which forms a visit now has; the status follows the protocol's required forms."""
    site = visit.patient.site
    access.require_data_entry(actor, site)
    if actual_date and actual_date > timezone.localdate(timezone=ZoneInfo(site.time_zone)):
        raise ValidationError({"actual_date": "The visit date is in the future at the site."})
    visit.entered_forms = sorted(set(entered_forms))
    visit.actual_date = actual_date or visit.actual_date
    missing = [code for code in visit.required_forms if code not in visit.entered_forms]
    if not visit.entered_forms:
        visit.status = Visit.Status.PLANNED  # every form voided: the visit waits for data again
    else:
        visit.status = Visit.Status.INCOMPLETE if missing else Visit.Status.COMPLETED
    visit.overdue_since = None
    return audited_save(visit, actor=actor, reason=reason or "Visit data entered")


def visit_record_missed(*, actor, visit, reason, expected_version=None):
    """The coordinator reports a visit missed, with the reason."""
    access.require_data_entry(actor, visit.patient.site)
    check_version(visit, expected_version)
    if visit.status not in (Visit.Status.PLANNED,):
        raise ValidationError(f"A {visit.get_status_display().lower()} visit cannot be missed.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the visit was missed."})
    visit.status = Visit.Status.MISSED
    visit.status_reason = reason.strip()
    visit.overdue_since = None
    return audited_save(visit, actor=actor, reason=f"Missed: {reason.strip()}")


def visits_cancel_after(*, actor, patient, day, reason):
    """Cancel the planned visits after ``day`` (progression, death, withdrawal)."""
    visits = list(Visit.objects.planned().filter(patient=patient))
    done = {v.code for v in Visit.objects.filter(patient=patient).exclude(
        status=Visit.Status.PLANNED)}
    cancel_codes = {p.code for p in cancelled_after(visits, day, done_codes=done,
                                                     kinds=frozenset(Visit.Kind.values))}
    return _cancel([v for v in visits if v.code in cancel_codes], actor=actor, reason=reason)


def _cancel(visits, *, actor, reason):
    """Mark ``visits`` cancelled with ``reason``, each with its history row (one bulk write)."""
    for visit in visits:
        visit.status = Visit.Status.CANCELLED
        visit.status_reason = reason
    bulk_update_audited(Visit, visits, ["status", "status_reason"], actor=actor,
                        reason=f"Cancelled: {reason}")
    return visits


def patient_withdraw(*, actor, patient, withdrawal_date, reason, expected_version=None):
    """Withdraw the patient and cancel their visits after the withdrawal date."""
    with transaction.atomic():
        patient = enrollment_services.patient_withdraw(
            actor=actor, patient=patient, withdrawal_date=withdrawal_date, reason=reason,
            expected_version=expected_version,
        )
        visits_cancel_after(actor=actor, patient=patient, day=withdrawal_date,
                            reason=f"withdrawal on {withdrawal_date:%Y-%m-%d}")
    return patient


def send_visit_reminders(*, actor, today):
    """One digest e-mail per coordinator: windows opening within 7 days and newly overdue.

    Each (visit, coordinator, kind) is sent once: the reminders sent are recorded, and a
    second run on the same day sends nothing new.
    """
    candidates = {
        VisitReminder.Kind.OPENING: Visit.objects.opening_within(today, 7),
        VisitReminder.Kind.OVERDUE: Visit.objects.overdue(on=today).filter(
            overdue_since__isnull=False),
    }
    visits = {}
    for kind, queryset in candidates.items():
        for visit in queryset.select_related("patient__site"):
            visits.setdefault(visit.pk, (visit, set()))[1].add(kind)
    if not visits:
        return 0
    site_ids = {visit.patient.site_id for visit, _ in visits.values()}
    coordinators = defaultdict(list)
    for membership in Membership.objects.active().filter(
        role=Role.COORDINATOR, site_id__in=site_ids, user__is_active=True,
    ).select_related("user"):
        coordinators[membership.site_id].append(membership.user)
    sent = set(VisitReminder.objects.filter(visit_id__in=visits).values_list(
        "visit_id", "recipient_id", "kind"))
    digests, records = defaultdict(list), []
    for visit, kinds in visits.values():
        for user in coordinators[visit.patient.site_id]:
            for kind in kinds:
                if (visit.pk, user.pk, kind) in sent:
                    continue
                digests[user].append((kind, visit))
                records.append(VisitReminder(visit=visit, recipient=user, kind=kind,
                                             sent_on=today))
    messages = []
    for user, items in digests.items():
        if not user.email:
            continue
        lines = [f"Visits of your sites, {today:%Y-%m-%d}:", ""]
        for kind, visit in sorted(items, key=lambda i: (i[0], i[1].window_start)):
            what = ("window opens" if kind == VisitReminder.Kind.OPENING else "OVERDUE since")
            when = visit.window_start if kind == VisitReminder.Kind.OPENING else visit.overdue_since
            lines.append(f"- {visit.patient.subject_id} {visit.code} ({visit.label}): {what} "
                         f"{when:%Y-%m-%d}, window {visit.window_start:%Y-%m-%d} to "
                         f"{visit.window_end:%Y-%m-%d}")
        messages.append((f"trialsite: {len(items)} visit reminder(s)", "\n".join(lines),
                         settings.DEFAULT_FROM_EMAIL, [user.email]))
    with transaction.atomic():
        bulk_create_audited(VisitReminder, records, actor=actor)
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=False))
    return len(messages)


def enrolment_redate(*, actor, enrolment, new_day1, reason, expected_version=None):
    """Move day 1 and every visit not yet done by the same number of days."""
    access.require_data_entry(actor, enrolment.patient.site)
    if not (reason or "").strip():
        raise ValidationError({"reason": "A reason for change is required."})
    shift = (new_day1 - enrolment.day1).days
    with transaction.atomic():
        check_version(enrolment, expected_version)
        enrolment.day1 = new_day1
        audited_save(enrolment, actor=actor, reason=reason, changed={"day1"})
        movable = list(Visit.objects.planned().filter(
            patient=enrolment.patient, kind__in=(Visit.Kind.SCHEDULED, Visit.Kind.REPEATING)))
        delta = timedelta(days=shift)
        for visit in movable:
            visit.target_date += delta
            visit.window_start += delta
            visit.window_end += delta
            visit.overdue_since = None
        bulk_update_audited(Visit, movable,
                            ["target_date", "window_start", "window_end", "overdue_since"],
                            actor=actor, reason=f"Day 1 re-dated: {reason}")
    return enrolment




def _site_today(site):
    return timezone.localdate(timezone=ZoneInfo(site.time_zone))


def record_progression(*, actor, patient, progression_date, basis, reason, today=None):
    """Record progression: later anchored visits are cancelled, EOT and follow-up scheduled.

    The protocol decides (``end_of_treatment`` of its schedule): where progression does not end
    treatment, it is recorded and the schedule is left as it is.
    """
    site = patient.site
    access.require_data_entry(actor, site)
    enrolment = Enrolment.objects.filter(patient=patient).first()
    errors = {}
    if enrolment is None:
        raise ValidationError("Only an enrolled patient can progress.")
    if not (reason or "").strip():
        errors["reason"] = "A reason for change is required."
    if progression_date > _site_today(site):
        errors["progression_date"] = "The progression date is in the future at the site."
    elif progression_date < enrolment.day1:
        errors["progression_date"] = "Progression cannot be dated before day 1."
    if enrolment.progression_date is not None:
        errors["progression_date"] = (
            f"Progression is already recorded on {enrolment.progression_date:%Y-%m-%d}.")
    if errors:
        raise ValidationError(errors)
    today = today or _site_today(site)
    schedule = site.study.protocol.schedule
    with transaction.atomic():
        enrolment.progression_date = progression_date
        enrolment.progression_basis = basis
        audited_save(enrolment, actor=actor, reason=reason,
                     changed={"progression_date", "progression_basis"})
        visits = list(Visit.objects.filter(patient=patient))
        done = {v.code for v in visits if v.status != Visit.Status.PLANNED}
        result = cut_off_at_progression(schedule, visits, progression_date,
                                        horizon(schedule, today), done_codes=done)
        _cancel(list(result.cancelled), actor=actor,
                reason=f"progression on {progression_date:%Y-%m-%d}")
        bulk_create_audited(Visit, [_new_visit(patient, p, retrospective=False)
                                    for p in result.added],
                            actor=actor, reason="Scheduled after progression")
        if patient.status == PatientStatus.ON_TREATMENT:
            enrollment_services.patient_change_status(
                actor=actor, patient=patient, status=PatientStatus.OFF_TREATMENT,
                reason=f"Progression on {progression_date:%Y-%m-%d}")
    return enrolment


def record_death(*, actor, patient, death_date, cause, reason):
    """Record death: every later planned visit is cancelled and the patient is off study."""
    site = patient.site
    access.require_data_entry(actor, site)
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = "A reason for change is required."
    if death_date > _site_today(site):
        errors["death_date"] = "The date of death is in the future at the site."
    elif death_date < patient.consent_date:
        errors["death_date"] = "The date of death cannot be before consent."
    if patient.death_date is not None:
        errors["death_date"] = f"Death is already recorded on {patient.death_date:%Y-%m-%d}."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _cancel(list(Visit.objects.planned().filter(patient=patient, target_date__gt=death_date)),
                actor=actor, reason=f"death on {death_date:%Y-%m-%d}")
        patient.death_date = death_date
        patient.death_cause = cause
        if patient.status not in (PatientStatus.OFF_STUDY, PatientStatus.SCREEN_FAILED):
            patient.status = PatientStatus.OFF_STUDY  # every other status may end off study
        return audited_save(patient, actor=actor, reason=f"Death recorded: {reason.strip()}",
                            changed={"death_date", "death_cause", "status"})
