"""Every write to tumour assessments: the baseline lesions and each follow-up.

Validation and responses come from the pure RECIST 1.1 module; a ``RecistError`` is turned into
a ``ValidationError`` on the field it is about, with the module's own message.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from enrollment.models import Enrolment
from outcomes import selectors
from outcomes.domain import recist
from outcomes.domain.recist import ErrorCode, RecistError
from outcomes.models import (
    FORM_CODE,
    NonTargetLesion,
    NonTargetStatus,
    TargetLesion,
    TargetMeasurement,
    TumourAssessment,
)
from trialsite import access
from trialsite.audit import (
    audited_save,
    bulk_create_audited,
    check_version,
    record_update,
    record_void,
)
from visits import services as visit_services

PROGRESSION_BASIS = "radiological"


def _site_today(site):
    return timezone.localdate(timezone=ZoneInfo(site.time_zone))


# --- baseline ---------------------------------------------------------------------------------


def _target(index, row):
    try:
        return recist.TargetLesion(id=row.get("lesion_id"), organ=row.get("organ"),
                                   diameter_mm=row.get("diameter_mm"),
                                   nodal=bool(row.get("nodal")))
    except RecistError as error:
        field = "diameter_mm" if error.code is ErrorCode.NEGATIVE_DIAMETER else (
            "organ" if "organ" in error.message else
            "diameter_mm" if "diameter" in error.message else "lesion_id")
        raise ValidationError({f"targets-{index}-{field}": error.message}) from None


def _nontarget(index, row):
    try:
        return recist.NonTargetLesion(id=row.get("lesion_id"), organ=row.get("organ"))
    except RecistError as error:
        field = "organ" if "organ" in error.message else "lesion_id"
        raise ValidationError({f"nontargets-{index}-{field}": error.message}) from None


def _baseline_error_field(error, date, targets, nontargets):
    """The field a baseline ``RecistError`` is about (``targets-<i>-<field>`` and the like)."""
    code = error.code
    if code is ErrorCode.DUPLICATE_LESION_ID:
        seen = set()
        for kind, lesions in (("targets", targets), ("nontargets", nontargets)):
            for index, lesion in enumerate(lesions):
                if lesion.id in seen:
                    return f"{kind}-{index}-lesion_id"
                seen.add(lesion.id)
    if code in (ErrorCode.NODAL_TOO_SMALL, ErrorCode.NONNODAL_TOO_SMALL):
        # Each lesion alone through the same rules: the first refused is the one reported.
        for index, lesion in enumerate(targets):
            try:
                recist.validate(recist.Baseline(date=date, targets=(lesion,)), ())
            except RecistError:
                return f"targets-{index}-diameter_mm"
    if code is ErrorCode.TOO_MANY_PER_ORGAN:
        counts = {}
        for index, lesion in enumerate(targets):
            counts[lesion.organ_group] = counts.get(lesion.organ_group, 0) + 1
            if counts[lesion.organ_group] > recist.MAX_TARGETS_PER_ORGAN:
                return f"targets-{index}-organ"
    if code in (ErrorCode.TOO_MANY_TARGETS,):
        return "targets"
    return "__all__"


def baseline_record(*, actor, patient, date, targets, nontargets, method="CT"):
    """Record the patient's baseline lesions, checked against RECIST 1.1.

    ``targets``: dicts with ``lesion_id``, ``organ``, ``nodal``, ``diameter_mm`` and optional
    ``method``; ``nontargets``: dicts with ``lesion_id``, ``organ``, optional ``nodal`` and
    ``method``. A baseline is recorded once; correcting it is not supported yet.
    """
    access.require_data_entry(actor, patient.site)
    if selectors.has_baseline(patient):
        raise ValidationError("The baseline is already recorded for this patient.")
    if date is None:
        raise ValidationError({"date": "The baseline date is required."})
    if date > _site_today(patient.site):
        raise ValidationError({"date": "The baseline date is in the future at the site."})
    enrolment = Enrolment.objects.filter(patient=patient).first()
    if enrolment is not None:
        window = patient.site.study.protocol.response.baseline_window_days
        earliest = enrolment.day1 - timedelta(days=window)
        if not earliest <= date <= enrolment.day1:
            raise ValidationError({"date": (
                f"The baseline imaging must be within {window} days before day 1 "
                f"({enrolment.day1:%Y-%m-%d}): from {earliest:%Y-%m-%d} to "
                f"{enrolment.day1:%Y-%m-%d}.")})
    targets, nontargets = list(targets), list(nontargets)
    domain_targets = [_target(i, row) for i, row in enumerate(targets)]
    domain_nontargets = [_nontarget(i, row) for i, row in enumerate(nontargets)]
    try:
        recist.validate(recist.Baseline(date=date, targets=domain_targets,
                                        nontargets=domain_nontargets), ())
    except RecistError as error:
        field = _baseline_error_field(error, date, domain_targets, domain_nontargets)
        raise ValidationError({field: error.message}) from None
    with transaction.atomic():
        created_targets = bulk_create_audited(TargetLesion, [
            TargetLesion(patient=patient, lesion_id=row["lesion_id"].strip(),
                         organ=row["organ"].strip(), nodal=bool(row.get("nodal")),
                         method=row.get("method") or method, baseline_date=date,
                         diameter_mm=lesion.diameter_mm)
            for row, lesion in zip(targets, domain_targets, strict=True)
        ], actor=actor, reason="Baseline tumour assessment")
        created_nontargets = bulk_create_audited(NonTargetLesion, [
            NonTargetLesion(patient=patient, lesion_id=row["lesion_id"].strip(),
                            organ=(row.get("organ") or "").strip(),
                            nodal=bool(row.get("nodal")), method=row.get("method") or method,
                            baseline_date=date)
            for row in nontargets
        ], actor=actor, reason="Baseline tumour assessment")
    return created_targets, created_nontargets


# --- follow-up assessments --------------------------------------------------------------------


def _measurement(value):
    """(state, millimetres) of a measurement given as Decimal, ``"TSTM"`` or None."""
    if value is None or value == "":
        return TargetMeasurement.State.NE, None
    if value == recist.TSTM:
        return TargetMeasurement.State.TSTM, None
    return TargetMeasurement.State.MEASURED, value


def assessment_record(*, actor, patient, visit, date, measurements=None, statuses=None,
                      new_lesions=None, investigator_response=None, new_lesion_site="",
                      reported_response=None, today=None):
    """Record a follow-up tumour assessment and what follows from it.

    ``measurements`` maps target lesion ids to millimetres, ``"TSTM"`` or None (not evaluated);
    ``statuses`` maps non-target lesion ids to a non-target status. Instead of them, a follow-up
    from elsewhere (real-world records) may carry only ``reported_response``, an overall
    response assessed elsewhere: no readings are stored, the time point's overall response is
    the reported one and ``new_lesions`` may be left out. The time point is computed over all
    of the patient's assessments; the visit's ``tumour_assessment`` form is marked entered;
    radiological progression (computed or reported PD, or PD recorded by the investigator) is
    recorded once, which cancels later visits and schedules end of treatment.
    """
    measurements = dict(measurements or {})
    statuses = dict(statuses or {})
    reported_response = reported_response or ""
    new_lesions = new_lesions or ""
    site = patient.site
    access.require_data_entry(actor, site)
    enrolment = Enrolment.objects.filter(patient=patient).first()
    if enrolment is None:
        raise ValidationError("Only an enrolled patient has follow-up tumour assessments.")
    baseline, lesions = selectors.baseline_domain(patient)
    if baseline is None:
        raise ValidationError("Record the baseline lesions before a follow-up assessment.")
    if visit is not None:
        if visit.patient_id != patient.pk or FORM_CODE not in visit.forms:
            raise ValidationError("This visit has no tumour assessment.")
        if TumourAssessment.objects.active().filter(visit=visit).exists():
            raise ValidationError("This visit's tumour assessment is already recorded.")
    errors = {}
    if date is None:
        errors["date"] = "The assessment date is required."
    elif date > _site_today(site):
        errors["date"] = "The assessment date is in the future at the site."
    elif (TumourAssessment.objects.active()
          .filter(patient=patient, assessment_date=date).exists()):
        errors["date"] = f"An assessment is already recorded on {date:%Y-%m-%d}."
    if reported_response:
        if reported_response not in {r.value for r in recist.Response}:
            errors["reported_response"] = f"{reported_response!r} is not a RECIST 1.1 response."
        if any(value not in (None, "") for value in (*measurements.values(),
                                                     *statuses.values())):
            errors["__all__"] = ("Give either lesion readings or a response reported from "
                                 "elsewhere, not both.")
    elif not new_lesions:
        errors["new_lesions"] = "Say whether there are new lesions."
    if new_lesions == "YES" and not (new_lesion_site or "").strip():
        errors["new_lesion_site"] = "Say where the new lesions are."
    if errors:
        raise ValidationError(errors)

    try:
        if reported_response:
            followup = recist.FollowUp(date=date, overall=reported_response)
        else:
            followup = recist.FollowUp(date=date, targets=measurements, nontargets=statuses,
                                       new_lesions=new_lesions)
        previous = selectors.followups_domain(patient)
        followups = sorted([*previous, followup], key=lambda f: f.date)
        timepoints = recist.assess(baseline, followups)
    except RecistError as error:
        field = {ErrorCode.UNSORTED_DATES: "date", ErrorCode.UNKNOWN_LESION_ID: "__all__"}.get(
            error.code)
        if field is None:
            field = next((f"target_{key}" for key in measurements
                          if f"target {key}" in error.message),
                         next((f"nontarget_{key}" for key in statuses
                               if f"non-target {key}" in error.message), "__all__"))
        raise ValidationError({field: error.message}) from None
    point = next(p for p in timepoints if p.date == date)
    computed = str(point.overall)
    investigator_response = investigator_response or ""

    with transaction.atomic():
        assessment = audited_save(TumourAssessment(
            patient=patient, visit=visit, assessment_date=date, new_lesions=str(new_lesions),
            new_lesion_site=(new_lesion_site or "").strip(),
            reported_response=str(reported_response),
            investigator_response=investigator_response, computed_response=computed,
            disagreement=bool(investigator_response) and investigator_response != computed,
        ), actor=actor)
        rows = []
        for lesion in lesions["targets"] if not reported_response else ():
            state, value = _measurement(followup.targets.get(lesion.lesion_id))
            rows.append(TargetMeasurement(assessment=assessment, lesion=lesion, state=state,
                                          diameter_mm=value))
        bulk_create_audited(TargetMeasurement, rows, actor=actor)
        bulk_create_audited(NonTargetStatus, [
            NonTargetStatus(assessment=assessment, lesion=lesion,
                            status=str(followup.nontargets.get(lesion.lesion_id,
                                                               recist.NonTargetStatus.NE)))
            for lesion in (lesions["nontargets"] if not reported_response else ())
        ], actor=actor)
        if visit is not None:
            visit_services.visit_record_forms(
                actor=actor, visit=visit, entered_forms=[*visit.entered_forms, FORM_CODE],
                actual_date=visit.actual_date or date, reason="Tumour assessment entered")
        progression = recist.first_progression_date(timepoints)
        if progression is None and investigator_response == recist.Response.PD:
            progression = date
        if progression is not None and enrolment.progression_date is None:
            visit_services.record_progression(
                actor=actor, patient=patient, progression_date=max(progression, enrolment.day1),
                basis=PROGRESSION_BASIS, today=today,
                reason=f"RECIST 1.1 progression at the tumour assessment of {date:%Y-%m-%d}")
    return assessment


# --- corrections and voids --------------------------------------------------------------------


def _require_reason(reason, what):
    if not (reason or "").strip():
        raise ValidationError({"reason": f"A reason is required to {what} an assessment."})
    return reason.strip()


def _recompute(*, actor, patient, baseline, reason, skip=None):
    """Store again the computed response (and disagreement) of every remaining assessment whose
    time point changed, from the patient's active assessments. Returns the time points."""
    assessments = selectors.assessments_of(patient)
    points = recist.assess(baseline, selectors.followups_domain(patient, assessments))
    for assessment, point in zip(assessments, points, strict=True):
        if skip is not None and assessment.pk == skip:
            continue
        computed = str(point.overall)
        disagreement = (bool(assessment.investigator_response)
                        and assessment.investigator_response != computed)
        if (assessment.computed_response, assessment.disagreement) != (computed, disagreement):
            record_update(assessment, actor=actor, expected_version=assessment.version,
                          reason=f"Recomputed after {reason}",
                          changes={"computed_response": computed,
                                   "disagreement": disagreement})
    return points


def _record_progression_if_new(*, actor, patient, points, assessment, today=None):
    enrolment = Enrolment.objects.get(patient=patient)
    progression = recist.first_progression_date(points)
    if progression is None and assessment.investigator_response == recist.Response.PD:
        progression = assessment.assessment_date
    if progression is not None and enrolment.progression_date is None:
        visit_services.record_progression(
            actor=actor, patient=patient, progression_date=max(progression, enrolment.day1),
            basis=PROGRESSION_BASIS, today=today,
            reason=f"RECIST 1.1 progression at the tumour assessment of {progression:%Y-%m-%d}")


def assessment_update(*, actor, assessment, expected_version, reason, measurements=None,
                      statuses=None, new_lesions=None, new_lesion_site=None,
                      investigator_response=None, reported_response=None, today=None):
    """Correct a follow-up assessment, audited with ``reason``, if still at ``expected_version``.

    A measured follow-up is corrected with its readings (``measurements`` and ``statuses`` as
    ``assessment_record`` takes them: the whole set), ``new_lesions`` and ``new_lesion_site``;
    one carrying a response reported from elsewhere with ``reported_response``. A value left
    None is kept; switching between the two kinds is not supported. The computed responses of
    the patient's assessments are recomputed; progression newly found is recorded once.
    Raises ``StaleVersion`` if the assessment changed since it was loaded.
    """
    patient = assessment.patient
    access.require_data_entry(actor, patient.site)
    reason = _require_reason(reason, "correct")
    check_version(assessment, expected_version)
    if assessment.is_voided:
        raise ValidationError("A voided assessment cannot be corrected.")
    baseline, lesions = selectors.baseline_domain(patient)
    reported = assessment.is_reported
    if reported and (measurements or statuses or new_lesions):
        raise ValidationError("This assessment carries a response reported from elsewhere: "
                              "correct the reported response, not readings.")
    if not reported and reported_response:
        raise ValidationError("This assessment has lesion readings: correct them, not a "
                              "reported response.")
    changes = {}
    if reported_response is not None:
        if reported_response not in {r.value for r in recist.Response}:
            raise ValidationError({"reported_response": f"{reported_response!r} is not a "
                                                        "RECIST 1.1 response."})
        changes["reported_response"] = reported_response
    if new_lesions is not None:
        changes["new_lesions"] = str(new_lesions)
    if new_lesion_site is not None:
        changes["new_lesion_site"] = new_lesion_site.strip()
    if investigator_response is not None:
        changes["investigator_response"] = investigator_response
    new_lesions = changes.get("new_lesions", assessment.new_lesions)
    if new_lesions == "YES" and not changes.get("new_lesion_site", assessment.new_lesion_site):
        raise ValidationError({"new_lesion_site": "Say where the new lesions are."})

    current = selectors.followup_input(assessment)
    if reported:
        followup = recist.FollowUp(date=assessment.assessment_date,
                                   overall=changes.get("reported_response",
                                                       assessment.reported_response))
    else:
        targets = dict(measurements) if measurements is not None else dict(current.targets)
        nontargets = dict(statuses) if statuses is not None else dict(current.nontargets)
        try:
            followup = recist.FollowUp(date=assessment.assessment_date, targets=targets,
                                       nontargets=nontargets, new_lesions=new_lesions)
        except RecistError as error:
            raise ValidationError({"__all__": error.message}) from None
    others = [f for f in selectors.followups_domain(patient)
              if f.date != assessment.assessment_date]
    try:
        recist.assess(baseline, sorted([*others, followup], key=lambda f: f.date))
    except RecistError as error:
        raise ValidationError({"__all__": error.message}) from None

    with transaction.atomic():
        if not reported:
            rows = {m.lesion.lesion_id: m for m in assessment.measurements.all()}
            for lesion in lesions["targets"]:
                state, value = _measurement(followup.targets.get(lesion.lesion_id))
                row = rows.get(lesion.lesion_id)
                if row is None:
                    audited_save(TargetMeasurement(assessment=assessment, lesion=lesion,
                                                   state=state, diameter_mm=value),
                                 actor=actor, reason=reason)
                elif (row.state, row.diameter_mm) != (state, value):
                    record_update(row, actor=actor, expected_version=row.version,
                                  reason=reason, changes={"state": state, "diameter_mm": value})
            statuses_by_id = {s.lesion.lesion_id: s for s in assessment.statuses.all()}
            for lesion in lesions["nontargets"]:
                status = str(followup.nontargets.get(lesion.lesion_id,
                                                     recist.NonTargetStatus.NE))
                row = statuses_by_id.get(lesion.lesion_id)
                if row is None:
                    audited_save(NonTargetStatus(assessment=assessment, lesion=lesion,
                                                 status=status), actor=actor, reason=reason)
                elif row.status != status:
                    record_update(row, actor=actor, expected_version=row.version,
                                  reason=reason, changes={"status": status})
        changes = {k: v for k, v in changes.items() if getattr(assessment, k) != v}
        if changes:
            record_update(assessment, actor=actor, expected_version=assessment.version,
                          reason=reason, changes=changes)
        points = _recompute(actor=actor, patient=patient, baseline=baseline, reason=reason)
        assessment.refresh_from_db()
        _record_progression_if_new(actor=actor, patient=patient, points=points,
                                   assessment=assessment, today=today)
    return assessment


def assessment_void(*, actor, assessment, reason, expected_version=None):
    """Void a follow-up assessment with a reason; it no longer counts for any response, and the
    computed responses of the remaining assessments are recomputed. Its visit waits for a
    tumour assessment again (the date and the visit are free for the corrected entry).

    A progression already recorded is not withdrawn: it ended the treatment schedule, and only
    the investigator can judge it. ``selectors.progression_review`` says, on every tumour page,
    when the recorded progression no longer matches the assessments."""
    patient = assessment.patient
    access.require_data_entry(actor, patient.site)
    reason = _require_reason(reason, "void")
    baseline, _ = selectors.baseline_domain(patient)
    with transaction.atomic():
        record_void(assessment, actor=actor, reason=reason, expected_version=expected_version)
        visit = assessment.visit
        if visit is not None and FORM_CODE in visit.entered_forms:
            visit_services.visit_record_forms(
                actor=actor, visit=visit,
                entered_forms=[f for f in visit.entered_forms if f != FORM_CODE],
                actual_date=visit.actual_date,
                reason=f"Tumour assessment voided: {reason}")
        try:
            _recompute(actor=actor, patient=patient, baseline=baseline,
                       reason=f"voiding the assessment of {assessment.assessment_date:%Y-%m-%d}")
        except RecistError as error:
            raise ValidationError(error.message) from None
    return assessment
