"""Patient pages: thin views that validate, fetch through a selector and call one service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from enrollment import casebook, selectors, services
from enrollment.domain.lifecycle import next_statuses
from enrollment.forms import (
    PatientEditForm,
    PatientRegisterForm,
    PatientStatusForm,
    PatientVoidForm,
)
from enrollment.models import Patient
from trialsite import access
from trialsite.forms import apply_service
from trialsite.models import Role
from trialsite.pagination import BadCursor


def _site_from_query(request):
    code = request.GET.get("site")
    if not code:
        return None
    site = access.sites_visible_to(request.user).filter(code=code).first()
    if site is None:
        raise Http404("No such site")
    return site


@login_required
def patient_list(request):
    site = _site_from_query(request)
    include_voided = request.GET.get("voided") == "1"
    status = request.GET.get("status") or None
    patients = selectors.patient_list(
        user=request.user, site=site, include_voided=include_voided, status=status
    )
    cursor_error = ""
    try:
        page = selectors.patient_page(patients, cursor=request.GET.get("cursor"))
    except BadCursor as error:
        cursor_error = str(error)
        page = selectors.patient_page(patients)
    filters = request.GET.copy()
    filters.pop("cursor", None)
    return render(
        request,
        "enrollment/patient_list.html",
        {
            "page": page,
            "patients": page.items,
            "total": patients.count(),
            "filters": filters.urlencode(),
            "cursor_error": cursor_error,
            "site": site,
            "include_voided": include_voided,
            "status": status,
            "sites": access.sites_visible_to(request.user).select_related("study"),
            "can_register": access.data_entry_sites(request.user).exists(),
            "status_choices": Patient.Status.choices,
        },
        status=400 if cursor_error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def patient_register(request):
    sites = access.data_entry_sites(request.user)
    if not sites:
        raise PermissionDenied("Only site coordinators and investigators register patients.")
    form = PatientRegisterForm(request.POST or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patient, _ = apply_service(
            form,
            lambda: services.patient_register(
                actor=request.user, site=data["site"], sex=data["sex"],
                birth_date=data["birth_date"], consent_date=data["consent_date"],
                consent_version=data["consent_version"],
            ),
        )
        if patient:
            messages.success(request, f"Registered {patient.subject_id}.")
            return redirect("patient-detail", subject_id=patient.subject_id)
    return render(request, "enrollment/patient_register.html", {"form": form})


@login_required
def patient_detail(request, subject_id):
    patient = selectors.patient_get(user=request.user, subject_id=subject_id)
    return render(
        request,
        "enrollment/patient_detail.html",
        {
            "patient": patient,
            "history": selectors.patient_history(
                patient, birth_date_visible=access.sees_birth_date(request.user, patient.site)),
            "can_edit": access.can_enter_data(request.user, patient.site)
            and not patient.is_voided,
            "next_statuses": next_statuses(patient.status, manual=True),
            "panels": casebook.panels_for(patient, request.user),
            "enrolment": getattr(patient, "enrolment", None),
        },
    )


def _change_view(
    request, subject_id, *, form_class, template, initial, call, done, form_kwargs=None
):
    patient = selectors.patient_get(user=request.user, subject_id=subject_id)
    if not access.can_enter_data(request.user, patient.site):
        raise PermissionDenied("Only the site's coordinators and investigators change this record.")
    if patient.is_voided:
        messages.error(request, "This record is voided and can no longer be changed.")
        return redirect("patient-detail", subject_id=patient.subject_id)
    form_kwargs = form_kwargs(patient) if form_kwargs else {}
    if request.method == "POST":
        form = form_class(request.POST, **form_kwargs)
    else:
        form = form_class(initial={"version": patient.version, **initial(patient)}, **form_kwargs)
    conflict = None
    if request.method == "POST" and form.is_valid():
        result, conflict = apply_service(form, lambda: call(patient, form.cleaned_data))
        if result is not None:
            messages.success(request, done)
            return redirect("patient-detail", subject_id=patient.subject_id)
    return render(
        request, template, {"patient": patient, "form": form, "conflict": conflict}
    )


@login_required
@require_http_methods(["GET", "POST"])
def patient_edit(request, subject_id):
    def call(patient, data):
        return services.patient_update(
            actor=request.user, patient=patient, expected_version=data["version"],
            reason=data["reason"],
            **{f: data[f] for f in services.CORRECTABLE_FIELDS},
        )

    return _change_view(
        request, subject_id,
        form_class=PatientEditForm,
        form_kwargs=lambda p: {"consent_versions": p.site.study.protocol.consent_versions},
        template="enrollment/patient_edit.html",
        initial=lambda p: {f: getattr(p, f) for f in services.CORRECTABLE_FIELDS},
        call=call,
        done="Changes saved to the audit trail.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def patient_status(request, subject_id):
    def call(patient, data):
        return services.patient_change_status(
            actor=request.user, patient=patient, status=data["status"], reason=data["reason"],
            expected_version=data["version"],
        )

    return _change_view(
        request, subject_id,
        form_class=PatientStatusForm,
        form_kwargs=lambda p: {"patient": p},
        template="enrollment/patient_status.html",
        initial=lambda p: {},
        call=call,
        done="Status changed.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def patient_void(request, subject_id):
    def call(patient, data):
        return services.patient_void(
            actor=request.user, patient=patient, reason=data["reason"],
            expected_version=data["version"],
        )

    return _change_view(
        request, subject_id,
        form_class=PatientVoidForm,
        template="enrollment/patient_void.html",
        initial=lambda p: {},
        call=call,
        done="Record voided. It stays visible, marked, with its history.",
    )


@login_required
def site_list(request):
    sites = selectors.sites_with_counts(user=request.user)
    return render(request, "enrollment/site_list.html", {"sites": sites})


@login_required
def study_overview(request, code):
    study = access.studies_visible_to(request.user).filter(code=code).first()
    if study is None:
        raise Http404("No such study")
    sites = selectors.sites_with_counts(user=request.user, study=study)
    # The study's data managers import retrospective real-world data (outcomes' import page).
    can_import = study.protocol.real_world is not None and (
        request.user.is_superuser or access.has_study_role(request.user, Role.DATA_MANAGER,
                                                           study))
    return render(
        request,
        "enrollment/study_overview.html",
        {"study": study, "protocol": study.protocol, "sites": sites,
         "totals": selectors.totals(sites), "can_import_real_world": can_import},
    )
