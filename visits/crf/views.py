"""The visit page and the visit forms: thin views that validate, read, call one service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from trialsite import access
from trialsite.forms import apply_service
from visits import visit_page
from visits.crf import selectors
from visits.crf import services as crf_services
from visits.crf.forms import FORMS, MissedForm, VoidForm
from visits.crf.models import AE_TERMS, PATIENT_LISTS, VISIT_RECORDS, AdverseEvent
from visits.models import Visit
from visits.services import visit_record_missed, visit_status_on

SAVE = {
    "performance_status": crf_services.performance_status_save,
    "vital_signs": crf_services.vital_signs_save,
    "haematology": crf_services.haematology_save,
    "chemistry": crf_services.chemistry_save,
    "drug_exposure": crf_services.drug_exposure_save,
    "survival_status": crf_services.survival_status_save,
}
CREATE = {
    "adverse_events": crf_services.adverse_event_create,
    "concomitant_medications": crf_services.concomitant_medication_create,
}
UPDATE = {
    "adverse_events": lambda item, **kw: crf_services.adverse_event_update(
        adverse_event=item, **kw),
    "concomitant_medications": lambda item, **kw: crf_services.concomitant_medication_update(
        medication=item, **kw),
}
VOID = {
    "adverse_events": lambda item, **kw: crf_services.adverse_event_void(
        adverse_event=item, **kw),
    "concomitant_medications": lambda item, **kw: crf_services.concomitant_medication_void(
        medication=item, **kw),
}


def _can_edit(user, patient, visit=None):
    """Whether the page offers its form: data entry, a live record, a visit that took place."""
    return (access.can_enter_data(user, patient.site) and not patient.is_voided
            and (visit is None or visit.status not in crf_services.CLOSED_STATUSES))


def _require_data_entry(user, patient):
    if not access.can_enter_data(user, patient.site):
        raise PermissionDenied("Only the site's coordinators and investigators enter visit data.")


def _form_url(patient, visit, form_code):
    return redirect("visit-form", subject_id=patient.subject_id, code=visit.code,
                    form_code=form_code)


def _posted_version(request):
    try:
        return int(request.POST.get("version") or 0)
    except ValueError:
        return 0


@login_required
def visit_detail(request, subject_id, code):
    patient, visit = selectors.visit_get(user=request.user, subject_id=subject_id, code=code)
    adverse_events = selectors.adverse_events_at(visit)
    can_edit = _can_edit(request.user, patient)
    return render(request, "visits/visit_detail.html", {
        "patient": patient, "visit": visit,
        "status": visit_status_on(visit, selectors.site_today(patient.site)),
        "deviation": selectors.deviation_of(visit),
        "forms": selectors.form_states(visit, adverse_events),
        "adverse_events": adverse_events,
        "samples": [selectors.humanise(code) for code in visit.samples],
        "assessments": [selectors.humanise(code) for code in visit.assessments],
        "history": selectors.visit_history(visit, patient),
        "can_edit": can_edit,
        "can_report_missed": can_edit and visit.status == Visit.Status.PLANNED,
        "panels": visit_page.panels_for(visit, patient, request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def visit_missed(request, subject_id, code):
    patient, visit = selectors.visit_get(user=request.user, subject_id=subject_id, code=code)
    _require_data_entry(request.user, patient)
    form = MissedForm(request.POST or None, initial={"version": visit.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved, conflict = apply_service(form, lambda: visit_record_missed(
            actor=request.user, visit=visit, reason=data["reason"],
            expected_version=data["version"],
        ))
        if saved is not None:
            messages.success(request, f"{visit.code} reported missed.")
            return redirect("visit-detail", subject_id=patient.subject_id, code=visit.code)
    return render(request, "visits/crf/missed.html", {
        "patient": patient, "visit": visit, "form": form, "conflict": conflict,
    })


@login_required
@require_http_methods(["GET", "POST"])
def visit_form(request, subject_id, code, form_code):
    patient, visit = selectors.visit_get(user=request.user, subject_id=subject_id, code=code)
    selectors.require_form(visit, form_code)
    if request.method == "POST":
        _require_data_entry(request.user, patient)
    if form_code in PATIENT_LISTS:
        return _list_page(request, patient, visit, form_code)
    return _record_page(request, patient, visit, form_code)


def _record_page(request, patient, visit, form_code):
    context = selectors.crf_context(patient, visit)
    record = selectors.visit_record(visit, form_code)
    form_class = FORMS[form_code]
    conflict = None
    if request.method == "POST":
        form = form_class(request.POST, context=context, editing=_posted_version(request) > 0)
        if form.is_valid():
            data = form.cleaned_data
            saved, conflict = apply_service(form, lambda: SAVE[form_code](
                actor=request.user, visit=visit, values=form.values(),
                expected_version=data.get("version"), reason=data.get("reason"),
            ))
            if saved is not None:
                messages.success(request, f"{selectors.humanise(form_code)} saved.")
                return _form_url(patient, visit, form_code)
            if conflict is not None and not form.editing:
                form = form_class(form.data, context=context, editing=True)
    elif record is not None:
        form = form_class(initial=form_class.initial_from(record), context=context, editing=True)
    else:
        form = form_class(initial={"version": 0}, context=context)
    lab_rows = selectors.record_lab_rows(record, patient)
    previous = (selectors.previous_drug_exposure(visit)
                if form_code == "drug_exposure" else None)
    return render(request, "visits/crf/record.html", {
        "patient": patient, "visit": visit, "form_code": form_code,
        "title": selectors.humanise(form_code), "form": form, "record": record,
        "conflict": conflict, "can_edit": _can_edit(request.user, patient, visit),
        "facts": selectors.record_facts(record, form_class.shown_fields()) if record else [],
        "lab_rows": lab_rows, "is_lab": hasattr(VISIT_RECORDS[form_code], "ANALYTES"),
        "prompts": [row for row in lab_rows if row.ae_term],
        "ae_here": AdverseEvent.FORM_CODE in visit.forms,
        "previous": previous, "deviation": selectors.deviation_of(visit),
        "history": selectors.record_history(record, patient),
    })


def _list_page(request, patient, visit, form_code):
    context = selectors.crf_context(patient, visit)
    form_class = FORMS[form_code]
    if request.method == "POST":
        form = form_class(request.POST, context=context)
        if form.is_valid():
            item, _ = apply_service(form, lambda: CREATE[form_code](
                actor=request.user, visit=visit, values=form.values()))
            if item is not None:
                messages.success(request, f"{item} recorded at {visit.code}.")
                return _form_url(patient, visit, form_code)
    else:
        form = form_class(initial=form_class.prefill(request.GET), context=context)
    items = selectors.list_items(patient, form_code)
    return render(request, "visits/crf/list.html", {
        "patient": patient, "visit": visit, "form_code": form_code,
        "title": selectors.humanise(form_code), "form": form, "items": items,
        "reported_here": [item for item in items if item.visit_id == visit.pk
                          and not item.is_voided],
        "review": selectors.list_review(visit, form_code),
        "can_edit": _can_edit(request.user, patient, visit), "terms": AE_TERMS,
        "is_adverse_events": form_code == AdverseEvent.FORM_CODE,
    })


@login_required
def visit_form_none(request, subject_id, code, form_code):
    """Nothing new on a list at this visit: its form then counts as entered."""
    patient, visit = selectors.visit_get(user=request.user, subject_id=subject_id, code=code)
    selectors.require_form(visit, form_code)
    if form_code not in PATIENT_LISTS:
        raise Http404("Not a list")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _require_data_entry(request.user, patient)
    try:
        crf_services.list_review_create(actor=request.user, visit=visit, form_code=form_code)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Recorded: no new {selectors.humanise(form_code).lower()} "
                                  f"at {visit.code}.")
    return _form_url(patient, visit, form_code)


def _list_item(request, subject_id, code, form_code, pk):
    patient, visit = selectors.visit_get(user=request.user, subject_id=subject_id, code=code)
    selectors.require_form(visit, form_code)
    if form_code not in PATIENT_LISTS:
        raise Http404("Not a list")
    return patient, visit, selectors.list_item_get(patient, form_code, pk)


@login_required
@require_http_methods(["GET", "POST"])
def visit_form_item(request, subject_id, code, form_code, pk):
    """One entry of a list: read, or corrected with a reason."""
    patient, visit, item = _list_item(request, subject_id, code, form_code, pk)
    context = selectors.crf_context(patient, visit)
    form_class = FORMS[form_code]
    conflict = None
    if request.method == "POST":
        _require_data_entry(request.user, patient)
        form = form_class(request.POST, context=context, editing=True)
        if form.is_valid():
            data = form.cleaned_data
            saved, conflict = apply_service(form, lambda: UPDATE[form_code](
                item, actor=request.user, values=form.values(),
                expected_version=data["version"], reason=data["reason"],
            ))
            if saved is not None:
                messages.success(request, f"{saved} corrected.")
                return _form_url(patient, visit, form_code)
    else:
        form = form_class(initial=form_class.initial_from(item), context=context, editing=True)
    return render(request, "visits/crf/item.html", {
        "patient": patient, "visit": visit, "form_code": form_code,
        "title": selectors.humanise(form_code), "item": item, "form": form,
        "conflict": conflict, "terms": AE_TERMS,
        "can_edit": _can_edit(request.user, patient) and not item.is_voided,
        "facts": selectors.record_facts(item, form_class.shown_fields()),
        "history": selectors.record_history(item, patient),
    })


@login_required
@require_http_methods(["GET", "POST"])
def visit_form_item_void(request, subject_id, code, form_code, pk):
    patient, visit, item = _list_item(request, subject_id, code, form_code, pk)
    _require_data_entry(request.user, patient)
    form = VoidForm(request.POST or None, initial={"version": item.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved, conflict = apply_service(form, lambda: VOID[form_code](
            item, actor=request.user, reason=data["reason"], expected_version=data["version"]))
        if saved is not None:
            messages.success(request, f"{saved} voided.")
            return _form_url(patient, visit, form_code)
    return render(request, "visits/crf/void.html", {
        "patient": patient, "visit": visit, "form_code": form_code,
        "title": selectors.humanise(form_code), "item": item, "form": form,
        "conflict": conflict,
    })
