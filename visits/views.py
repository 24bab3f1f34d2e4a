"""Visit pages: enrolment with its schedule, withdrawal, re-dating day 1, the site calendar."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from eligibility import selectors as eligibility_selectors
from eligibility import services as eligibility_services
from eligibility.forms import EnrolForm
from enrollment.forms import PatientWithdrawForm
from enrollment.selectors import patient_get
from trialsite import access
from trialsite.forms import apply_service
from visits import selectors, services
from visits.domain.schedule import horizon
from visits.forms import DeathForm, ProgressionForm, RedateForm


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request, subject_id):
    """Enrol from a confirmed eligible screening, previewing the visits it will create."""
    patient, screening = eligibility_selectors.patient_and_screening(
        user=request.user, subject_id=subject_id)
    screening = eligibility_selectors.require_screening(screening)
    if not access.can_enter_data(request.user, patient.site):
        raise PermissionDenied("Only the site's coordinators and investigators enrol patients.")
    protocol = patient.site.study.protocol
    form = EnrolForm(request.POST or None, initial={"version": screening.version},
                     protocol=protocol)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        enrolment, conflict = apply_service(form, lambda: services.enrol_with_schedule(
            actor=request.user, screening=screening, cdk46i=data["cdk46i"],
            cdk46i_start_dose_mg=data["cdk46i_start_dose_mg"], endocrine=data["endocrine"],
            ovarian_suppression=data.get("ovarian_suppression", False),
            expected_version=data["version"]))
        if enrolment is not None:
            messages.success(request, "Patient enrolled; the visit schedule is created.")
            return redirect("patient-detail", subject_id=patient.subject_id)
    day1_text = screening.values.get(protocol.enrolment.day1_variable)
    preview = []
    if day1_text:
        today = timezone.localdate()
        preview = services.schedule_preview(
            protocol, date.fromisoformat(day1_text), until=horizon(protocol.schedule, today))
    return render(request, "visits/enrol.html", {
        "patient": patient, "screening": screening, "form": form, "conflict": conflict,
        "evaluation": eligibility_services.evaluate_for(patient, screening.values),
        "refusal": eligibility_services.enrolment_refusal(screening),
        "day1": day1_text, "preview": preview,
    })


def _patient_for_change(request, subject_id):
    patient = patient_get(user=request.user, subject_id=subject_id)
    if not access.can_enter_data(request.user, patient.site):
        raise PermissionDenied("Only the site's coordinators and investigators change this record.")
    return patient


@login_required
@require_http_methods(["GET", "POST"])
def patient_withdraw(request, subject_id):
    patient = _patient_for_change(request, subject_id)
    form = PatientWithdrawForm(request.POST or None, initial={"version": patient.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result, conflict = apply_service(form, lambda: services.patient_withdraw(
            actor=request.user, patient=patient, withdrawal_date=data["withdrawal_date"],
            reason=data["reason"], expected_version=data["version"]))
        if result is not None:
            messages.success(request, "Withdrawal recorded: the patient is off study and later "
                                      "visits are cancelled.")
            return redirect("patient-detail", subject_id=patient.subject_id)
    return render(request, "enrollment/patient_withdraw.html",
                  {"patient": patient, "form": form, "conflict": conflict})


@login_required
@require_http_methods(["GET", "POST"])
def enrolment_redate(request, subject_id):
    patient = _patient_for_change(request, subject_id)
    enrolment = getattr(patient, "enrolment", None)
    if enrolment is None:
        raise Http404("Not enrolled")
    form = RedateForm(request.POST or None,
                      initial={"version": enrolment.version, "new_day1": enrolment.day1})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result, conflict = apply_service(form, lambda: services.enrolment_redate(
            actor=request.user, enrolment=enrolment, new_day1=data["new_day1"],
            reason=data["reason"], expected_version=data["version"]))
        if result is not None:
            messages.success(request, "Day 1 re-dated; visits not yet done moved with it.")
            return redirect("patient-detail", subject_id=patient.subject_id)
    return render(request, "visits/redate.html",
                  {"patient": patient, "form": form, "conflict": conflict})


@login_required
def site_calendar(request, code):
    site = access.sites_visible_to(request.user).select_related("study").filter(code=code).first()
    if site is None:
        raise Http404("No such site")
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", f"{today:%Y-%m}").split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise Http404("Month must look like 2026-03") from None
    weeks, count = selectors.month_calendar(site=site, year=year, month=month)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return render(request, "visits/calendar.html", {
        "site": site, "weeks": weeks, "month": first, "count": count, "today": today,
        "previous": previous, "following": following,
    })


def _record_event(request, subject_id, *, form_class, template, call, done):
    patient = _patient_for_change(request, subject_id)
    form = form_class(request.POST or None, initial={"version": patient.version})
    if request.method == "POST" and form.is_valid():
        result, _ = apply_service(form, lambda: call(patient, form.cleaned_data))
        if result is not None:
            messages.success(request, done)
            return redirect("patient-detail", subject_id=patient.subject_id)
    return render(request, template, {"patient": patient, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def progression_record(request, subject_id):
    return _record_event(
        request, subject_id, form_class=ProgressionForm, template="visits/progression.html",
        call=lambda p, d: services.record_progression(
            actor=request.user, patient=p, progression_date=d["progression_date"],
            basis=d["basis"], reason=d["reason"]),
        done="Progression recorded: later visits are cancelled and end of treatment and "
             "follow-up scheduled as the protocol says.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def death_record(request, subject_id):
    return _record_event(
        request, subject_id, form_class=DeathForm, template="visits/death.html",
        call=lambda p, d: services.record_death(
            actor=request.user, patient=p, death_date=d["death_date"], cause=d["cause"],
            reason=d["reason"]),
        done="Death recorded; later visits are cancelled.",
    )
