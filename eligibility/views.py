"""Screening pages: enter values (evaluated live), confirm, record screen failure, enrol."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from eligibility import selectors, services
from eligibility.domain.screening import with_retired_answers
from eligibility.forms import ConfirmForm, ScreenFailureForm, ScreeningForm
from eligibility.models import Screening
from trialsite import access
from trialsite.forms import apply_service
from trialsite.models import Role


def _initial(screening, protocol):
    if screening is None:
        return {}
    values = with_retired_answers(screening.values, protocol.retired_answers)
    return {**values, "version": screening.version}


@login_required
@require_http_methods(["GET", "POST"])
def screening_page(request, subject_id):
    patient, screening = selectors.patient_and_screening(user=request.user, subject_id=subject_id)
    protocol = patient.site.study.protocol
    can_edit = access.can_enter_data(request.user, patient.site) and not patient.is_voided
    form = ScreeningForm(
        request.POST if request.method == "POST" else None,
        initial=_initial(screening, protocol), protocol=protocol, with_reason=screening is not None,
    )
    conflict = None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only the site's coordinators and investigators enter data.")
        if form.is_valid():
            data = form.cleaned_data
            saved, conflict = apply_service(form, lambda: services.screening_save(
                actor=request.user, patient=patient, values=data["values"],
                expected_version=data.get("version"), reason=data.get("reason"),
            ))
            if saved is not None:
                messages.success(request, f"Screening saved: {saved.get_verdict_display()}.")
                return redirect("screening", subject_id=patient.subject_id)
    values = screening.values if screening else {}
    if request.method == "POST" and form.is_bound and hasattr(form, "cleaned_data"):
        values = form.cleaned_data.get("values", values)
    evaluation = services.evaluate_for(patient, values)
    birth_date_visible = access.sees_birth_date(request.user, patient.site)
    return render(request, "eligibility/screening.html", {
        "patient": patient, "screening": screening, "protocol": protocol, "form": form,
        "evaluation": evaluation, "can_edit": can_edit, "conflict": conflict,
        "birth_date_visible": birth_date_visible,
        "values_shown": selectors.values_shown(screening.values if screening else {}, patient,
                                               birth_date_visible=birth_date_visible),
        "history": selectors.screening_history(screening, patient,
                                               birth_date_visible=birth_date_visible),
        "enrolment_refusal": services.enrolment_refusal(screening) if screening else None,
        "is_investigator": access.has_role_at(request.user, Role.INVESTIGATOR, patient.site),
    })


@login_required
def screening_evaluate(request, subject_id):
    """Evaluate the form as it stands, without saving: the live criteria panel."""
    patient, screening = selectors.patient_and_screening(user=request.user, subject_id=subject_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not access.can_enter_data(request.user, patient.site):
        raise PermissionDenied
    form = ScreeningForm(request.POST, protocol=patient.site.study.protocol)
    form.is_valid()
    values = form.cleaned_data.get("values", {})
    return render(request, "eligibility/_criteria.html", {
        "evaluation": services.evaluate_for(patient, values),
        "field_errors": {k: v for k, v in form.errors.items() if k != "__all__"},
    })


def _screening_action(request, subject_id, *, form_class, template, call, done, allowed,
                      form_kwargs=None):
    patient, screening = selectors.patient_and_screening(user=request.user, subject_id=subject_id)
    screening = selectors.require_screening(screening)
    if not allowed(patient):
        raise PermissionDenied
    kwargs = form_kwargs(patient) if form_kwargs else {}
    if request.method == "POST":
        form = form_class(request.POST, **kwargs)
    else:
        form = form_class(initial={"version": screening.version}, **kwargs)
    conflict = None
    if request.method == "POST" and form.is_valid():
        result, conflict = apply_service(form, lambda: call(screening, form.cleaned_data))
        if result is not None:
            messages.success(request, done)
            return redirect("patient-detail", subject_id=patient.subject_id)
    return render(request, template, {
        "patient": patient, "screening": screening, "form": form, "conflict": conflict,
        "evaluation": services.evaluate_for(patient, screening.values),
        "refusal": services.enrolment_refusal(screening),
        "meaning": Screening.CONFIRMATION_MEANING,
    })


@login_required
@require_http_methods(["GET", "POST"])
def screening_confirm(request, subject_id):
    return _screening_action(
        request, subject_id, form_class=ConfirmForm, template="eligibility/confirm.html",
        allowed=lambda p: access.has_role_at(request.user, Role.INVESTIGATOR, p.site),
        call=lambda s, d: services.screening_confirm(
            actor=request.user, screening=s, password=d["password"],
            expected_version=d["version"]),
        done="Eligibility confirmed and signed.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def screening_fail(request, subject_id):
    return _screening_action(
        request, subject_id, form_class=ScreenFailureForm, template="eligibility/fail.html",
        allowed=lambda p: access.can_enter_data(request.user, p.site),
        call=lambda s, d: services.screening_record_failure(
            actor=request.user, screening=s, reason=d["reason"], expected_version=d["version"]),
        done="Screen failure recorded.",
    )


@login_required
def screen_failures(request, code):
    site = access.sites_visible_to(request.user).select_related("study").filter(code=code).first()
    if site is None:
        raise Http404("No such site")
    failures, counts = selectors.screen_failure_log(site=site)
    protocol = site.study.protocol
    texts = {c.code: c.text for c in protocol.criteria}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return render(request, "eligibility/screen_failures.html", {
        "site": site, "failures": failures,
        "criteria": [(code, texts.get(code, ""), n) for code, n in rows],
    })
