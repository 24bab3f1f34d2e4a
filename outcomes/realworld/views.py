"""Real-world data pages: a patient's lines of therapy, comorbidities and collected items, and
the study list of sub-study items still missing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from enrollment.models import Patient
from enrollment.selectors import patient_get
from outcomes.forms import VoidForm
from outcomes.models import CollectedItem, Comorbidity, TreatmentLine
from outcomes.realworld import selectors, services
from outcomes.realworld.forms import (
    ComorbidityForm,
    ItemForm,
    LineCorrectionForm,
    LineForm,
    line_initial,
)
from trialsite import access
from trialsite.audit import history_entries
from trialsite.forms import apply_service


def _patient_with_plan(request, subject_id):
    patient = patient_get(user=request.user, subject_id=subject_id)
    plan = patient.site.study.protocol.real_world
    if plan is None:
        raise Http404("This study collects no real-world data")
    if request.method == "POST" and not access.can_enter_data(request.user, patient.site):
        raise PermissionDenied("Only the site's coordinators and investigators enter this.")
    return patient, plan


def _done(request, patient, text, anchor=""):
    messages.success(request, text)
    return redirect(f"{_url(patient)}{anchor}")


def _url(patient):
    return reverse("real-world", args=[patient.subject_id])


@login_required
@require_http_methods(["GET", "POST"])
def real_world(request, subject_id):
    """The patient's lines, comorbidities and collected items, with the forms to add them."""
    patient, plan = _patient_with_plan(request, subject_id)
    data = selectors.real_world(patient)
    can_edit = access.can_enter_data(request.user, patient.site) and not patient.is_voided
    action = request.POST.get("action") if request.method == "POST" else None
    protocol = patient.site.study.protocol
    next_number = (data["lines"][-1].number + 1) if data["lines"] else 1
    line_form = comorbidity_form = item_form = None
    missing_kinds = [k for k, item in data["items"] if item is None]
    if can_edit:
        line_form = LineForm(request.POST if action == "line" else None, protocol=protocol,
                             prefix="line")
        comorbidity_form = ComorbidityForm(request.POST if action == "comorbidity" else None,
                                           plan=plan, prefix="comorbidity")
        item_form = ItemForm(request.POST if action == "item" else None, kinds=missing_kinds,
                             prefix="item") if missing_kinds else None
        if action == "line" and line_form.is_valid():
            result, _ = apply_service(line_form, lambda: services.line_record(
                actor=request.user, patient=patient, number=next_number,
                **line_form.values()))
            if result is not None:
                return _done(request, patient, f"Line {next_number} recorded.", "#lines")
        elif action == "comorbidity" and comorbidity_form.is_valid():
            result, _ = apply_service(comorbidity_form, lambda: services.comorbidity_record(
                actor=request.user, patient=patient, **comorbidity_form.cleaned_data))
            if result is not None:
                return _done(request, patient, "Comorbidity recorded.", "#comorbidities")
        elif action == "item" and item_form is not None and item_form.is_valid():
            result, _ = apply_service(item_form, lambda: services.item_record(
                actor=request.user, patient=patient, **item_form.cleaned_data))
            if result is not None:
                return _done(request, patient, "Item recorded.", "#items")
        elif action in {"void-comorbidity", "void-item"}:
            model = Comorbidity if action == "void-comorbidity" else CollectedItem
            record = model.objects.active().filter(patient=patient,
                                                   pk=request.POST.get("pk")).first()
            if record is None:
                raise Http404("No such record")
            form = VoidForm(request.POST, prefix="void")
            if form.is_valid():
                options = {"actor": request.user, "reason": form.cleaned_data["reason"],
                           "expected_version": form.cleaned_data["version"]}
                if model is Comorbidity:
                    def call():
                        return services.comorbidity_void(comorbidity=record, **options)
                else:
                    def call():
                        return services.item_void(item=record, **options)
                result, _ = apply_service(form, call)
                if result is not None:
                    return _done(request, patient, f"{record} voided.")
            messages.error(request, "Give a reason to void a record.")
    elif request.method == "POST":
        raise PermissionDenied("This patient's data cannot be changed here.")
    return render(request, "outcomes/realworld/real_world.html", {
        "patient": patient, "data": data, "can_edit": can_edit, "next_number": next_number,
        "line_form": line_form, "comorbidity_form": comorbidity_form, "item_form": item_form,
    })


@login_required
@require_http_methods(["GET", "POST"])
def treatment_line(request, subject_id, number):
    """One line: its history, and for the site's staff a correction and a void form."""
    patient, plan = _patient_with_plan(request, subject_id)
    line = TreatmentLine.objects.active().filter(patient=patient, number=number).first()
    if line is None:
        raise Http404("No such line")
    protocol = patient.site.study.protocol
    can_edit = access.can_enter_data(request.user, patient.site) and not patient.is_voided
    action = request.POST.get("action") if request.method == "POST" else None
    correction = void = conflict = None
    if can_edit:
        correction = LineCorrectionForm(request.POST if action == "correct" else None,
                                        protocol=protocol, initial=line_initial(line),
                                        prefix="correct")
        void = VoidForm(request.POST if action == "void" else None, prefix="void",
                        initial={"version": line.version})
        if action == "correct" and correction.is_valid():
            data = correction.cleaned_data
            result, conflict = apply_service(correction, lambda: services.line_update(
                actor=request.user, line=line, expected_version=data["version"],
                reason=data["reason"], **correction.values()))
            if result is not None:
                return _done(request, patient, f"Line {number} corrected.", "#lines")
        elif action == "void" and void.is_valid():
            result, conflict = apply_service(void, lambda: services.line_void(
                actor=request.user, line=line, reason=void.cleaned_data["reason"],
                expected_version=void.cleaned_data["version"]))
            if result is not None:
                return _done(request, patient, f"Line {number} voided.", "#lines")
    elif request.method == "POST":
        raise PermissionDenied("This line cannot be changed here.")
    return render(request, "outcomes/realworld/treatment_line.html", {
        "patient": patient, "line": line, "correction": correction, "void": void,
        "conflict": conflict,
        "regimen": selectors.regimen(line, protocol),
        "history": history_entries(line.history.select_related("history_user").all(),
                                   time_zone=patient.site.time_zone),
    })


@login_required
def missing_items(request, code):
    """Monitors' list: each enrolled patient's sub-study items not collected yet."""
    study = access.studies_visible_to(request.user).filter(code=code).first()
    if study is None or study.protocol.real_world is None:
        raise Http404("No such study")
    patients = list(Patient.objects.visible_to(request.user).active()
                    .filter(site__study=study, enrolment__isnull=False)
                    .select_related("site").order_by("site__code", "subject_number"))
    rows = [(p, missing) for p, missing in
            selectors.missing_items(patients, study.protocol.real_world) if missing]
    return render(request, "outcomes/realworld/missing_items.html", {
        "study": study, "rows": rows, "patients": len(patients),
        "kinds": study.protocol.real_world.collected_items,
    })
