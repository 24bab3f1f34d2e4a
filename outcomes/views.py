"""Tumour baseline and follow-up pages: thin views that validate, read, call one service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from enrollment.selectors import patient_get
from outcomes import plots, selectors, services, stats
from outcomes import reports as study_reports
from outcomes.forms import (
    NONTARGET_ROWS,
    TARGET_ROWS,
    AssessmentCorrectionForm,
    AssessmentForm,
    BaselineForm,
    NonTargetFormSet,
    TargetFormSet,
    VoidForm,
    baseline_initial,
    correction_initial,
)
from outcomes.realworld import survival
from trialsite import access
from trialsite.forms import apply_service
from trialsite.protocols.base import PfsDefinition
from visits.crf import selectors as crf_selectors
from visits.crf.services import CLOSED_STATUSES


def _can_edit(user, patient):
    return access.can_enter_data(user, patient.site) and not patient.is_voided


def _require_data_entry(user, patient):
    if not access.can_enter_data(user, patient.site):
        raise PermissionDenied("Only the site's coordinators and investigators enter tumour "
                               "assessments.")


def _put_errors(error, form, formsets=None):
    """Put a service's refusals on the fields they name (``targets-2-organ`` and the like)."""
    formsets = formsets or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.error_dict.items():
        prefix, _, rest = key.partition("-")
        if prefix in formsets and rest:
            index, _, field = rest.partition("-")
            target = formsets[prefix].forms[int(index)]
            for e in errors:
                target.add_error(field if field in target.fields else None, e)
            continue
        for e in errors:
            if prefix in formsets:
                form.add_error(None, f"{'Target' if prefix == 'targets' else 'Non-target'} "
                                     f"lesions: {' '.join(e.messages)}")
            else:
                form.add_error(key if key in form.fields else None, e)


@login_required
@require_http_methods(["GET", "POST"])
def tumour_baseline(request, subject_id):
    patient = patient_get(user=request.user, subject_id=subject_id)
    if request.method == "POST":
        _require_data_entry(request.user, patient)
    lesions = selectors.baseline_lesions(patient)
    recorded = bool(lesions["targets"] or lesions["nontargets"])
    can_edit = _can_edit(request.user, patient) and not recorded
    form = targets = nontargets = None
    if can_edit:
        data = request.POST if request.method == "POST" else None
        form = BaselineForm(data)
        targets = TargetFormSet(data, prefix="targets",
                                initial=baseline_initial("T", TARGET_ROWS))
        nontargets = NonTargetFormSet(data, prefix="nontargets",
                                      initial=baseline_initial("NT", NONTARGET_ROWS))
        if data is not None and form.is_valid() and targets.is_valid() and nontargets.is_valid():
            target_rows = [r for r in (f.row() for f in targets.forms) if r]
            nontarget_rows = [r for r in (f.row() for f in nontargets.forms) if r]
            try:
                services.baseline_record(
                    actor=request.user, patient=patient, date=form.cleaned_data["date"],
                    targets=target_rows, nontargets=nontarget_rows,
                    method=form.cleaned_data["method"])
            except ValidationError as error:
                # Errors name rows by their position among the filled rows: map them back.
                _put_errors(_renumber(error, targets, nontargets), form,
                            {"targets": targets, "nontargets": nontargets})
            else:
                messages.success(request, "Baseline tumour assessment recorded.")
                return redirect("tumour-baseline", subject_id=patient.subject_id)
    elif request.method == "POST":
        raise PermissionDenied("The baseline is already recorded.")
    return render(request, "outcomes/baseline.html", {
        "patient": patient, "lesions": lesions, "recorded": recorded, "form": form,
        "targets": targets, "nontargets": nontargets,
        "working": selectors.working(patient, lesions) if recorded else None,
    })


def _renumber(error, targets, nontargets):
    if not hasattr(error, "error_dict"):
        return error
    filled = {
        "targets": [i for i, f in enumerate(targets.forms) if f.row()],
        "nontargets": [i for i, f in enumerate(nontargets.forms) if f.row()],
    }
    renamed = {}
    for key, errors in error.error_dict.items():
        prefix, _, rest = key.partition("-")
        if prefix in filled and rest:
            index, _, field = rest.partition("-")
            key = f"{prefix}-{filled[prefix][int(index)]}-{field}"
        renamed[key] = errors
    return ValidationError(renamed)


@login_required
@require_http_methods(["GET", "POST"])
def tumour_assessment(request, subject_id, code):
    """A visit's tumour assessment: enter it; once recorded, its working, and for the site's
    staff a correction form (readings again, a reason, the version loaded) and a void form."""
    patient, visit = crf_selectors.visit_get(user=request.user, subject_id=subject_id, code=code)
    selectors.require_form(visit)
    if request.method == "POST":
        _require_data_entry(request.user, patient)
    lesions = selectors.baseline_lesions(patient)
    assessment = selectors.assessment_at(visit)
    editable = _can_edit(request.user, patient)
    can_enter = (editable and assessment is None and visit.status not in CLOSED_STATUSES
                 and bool(lesions["targets"] or lesions["nontargets"]))
    reported = patient.site.study.protocol.response.reported_responses
    action = request.POST.get("action", "enter") if request.method == "POST" else None
    form = correction = void = conflict = None
    if can_enter:
        form = AssessmentForm(request.POST if action == "enter" else None, lesions=lesions,
                              reported=reported, initial={
                                  "date": visit.actual_date or min(
                                      visit.target_date, crf_selectors.site_today(patient.site)),
                                  "new_lesions": "NO"})
        if action == "enter" and form.is_valid():
            data = form.cleaned_data
            try:
                services.assessment_record(
                    actor=request.user, patient=patient, visit=visit, date=data["date"],
                    measurements=form.measurements(), statuses=form.statuses(),
                    new_lesions=data["new_lesions"],
                    new_lesion_site=data["new_lesion_site"],
                    investigator_response=data["investigator_response"] or None,
                    reported_response=data.get("reported_response") or None)
            except ValidationError as error:
                _put_errors(error, form)
            else:
                messages.success(request, f"Tumour assessment at {visit.code} recorded.")
                return redirect("tumour-assessment", subject_id=patient.subject_id,
                                code=visit.code)
    elif editable and assessment is not None:
        correction = AssessmentCorrectionForm(
            request.POST if action == "correct" else None, lesions=lesions,
            assessment=assessment, initial=correction_initial(assessment), prefix="correct")
        void = VoidForm(request.POST if action == "void" else None, prefix="void",
                        initial={"version": assessment.version})
        if action == "correct" and correction.is_valid():
            data = correction.cleaned_data
            readings = {} if assessment.is_reported else {
                "measurements": correction.measurements(), "statuses": correction.statuses(),
                "new_lesions": data["new_lesions"], "new_lesion_site": data["new_lesion_site"]}
            _, conflict = apply_service(correction, lambda: services.assessment_update(
                actor=request.user, assessment=assessment, expected_version=data["version"],
                reason=data["reason"], investigator_response=data["investigator_response"],
                reported_response=data.get("reported_response") or None, **readings))
            if correction.is_valid() and conflict is None:
                messages.success(request, f"Tumour assessment at {visit.code} corrected.")
                return redirect("tumour-assessment", subject_id=patient.subject_id,
                                code=visit.code)
        elif action == "void" and void.is_valid():
            data = void.cleaned_data
            _, conflict = apply_service(void, lambda: services.assessment_void(
                actor=request.user, assessment=assessment, reason=data["reason"],
                expected_version=data["version"]))
            if void.is_valid() and conflict is None:
                messages.success(request, f"Tumour assessment at {visit.code} voided; the "
                                          "visit waits for its tumour assessment again.")
                return redirect("tumour-assessment", subject_id=patient.subject_id,
                                code=visit.code)
    elif request.method == "POST":
        raise PermissionDenied("This tumour assessment cannot be entered here.")
    if request.method == "POST" and action not in {"enter", "correct", "void"}:
        raise PermissionDenied("Unknown action.")
    working = selectors.working(patient, lesions)
    row = next((r for r in working["rows"] if assessment and r.assessment.pk == assessment.pk),
               None)
    return render(request, "outcomes/assessment.html", {
        "patient": patient, "visit": visit, "lesions": lesions, "assessment": assessment,
        "row": row, "working": working, "form": form, "correction": correction,
        "void": void, "conflict": conflict,
        "history": selectors.assessment_history(assessment, patient),
    })


@login_required
def study_outcomes(request, code):
    """The study's efficacy summary: rates with exact CIs, PFS, figures and the patient table."""
    study = access.studies_visible_to(request.user).filter(code=code).first()
    if study is None:
        raise Http404("No such study")
    sites = list(access.sites_visible_to(request.user).filter(study=study).order_by("code"))
    site = None
    if request.GET.get("site"):
        site = next((s for s in sites if s.code == request.GET["site"]), None)
        if site is None:
            raise Http404("No such site")
    reports = study_reports.study_endpoints(request.user, study=study, site=site)
    plan = study.protocol.statistics
    context = {"study": study, "sites": sites, "site": site,
               **study_reports.summary(reports, plan=plan),
               **survival.summary([r.patient for r in reports], study.protocol)}
    # One PFS per page, the one the study's statistics plan names.
    if plan is not None and plan.pfs == PfsDefinition.REAL_WORLD_FIRST_LINE:
        rows = context["survival"]["rows"] if context["survival"] else []
        km = survival.first_line_pfs_estimate(rows, median_ci=plan.median_ci,
                                              level=plan.confidence_level)
        context.update(km=km, pfs_median=stats.format_median(km),
                       km_svg=plots.km_plot(km, title=plan.pfs_name))
    elif context["survival"]:
        context["survival"] = {**context["survival"], "pfs": None}
    return render(request, "outcomes/study_outcomes.html", context)
