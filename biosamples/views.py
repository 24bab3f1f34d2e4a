"""Sample pages: thin views that validate, read through a selector (404 if not visible), call one
service and render. Times are shown and entered in the site's local time."""

import io
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from biosamples import pdf, selectors, services
from biosamples.forms import (
    BoxForm,
    DiscardForm,
    DrawForm,
    NotCollectedForm,
    ProcessForm,
    ReceiveForm,
    ResultsUploadForm,
    SampleCorrectionForm,
    ShipForm,
    ShipmentForm,
    SplitForm,
    StoreForm,
)
from biosamples.models import Aliquot
from trialsite import access, csv_safety
from trialsite.forms import apply_service
from trialsite.models import Role
from visits.crf.selectors import visit_get


@contextmanager
def site_time(site):
    with timezone.override(ZoneInfo(site.time_zone)):
        yield


def _require_entry(user, site):
    if not access.can_enter_data(user, site):
        raise PermissionDenied("Only the site's coordinators and investigators record samples.")


def _plan(site):
    plan = site.study.protocol.sample_plan
    if plan is None:
        raise Http404("This study collects no samples")
    return plan


# --- collection at the visit --------------------------------------------------------------------


def _expected_sample(request, subject_id, code, sample_code):
    patient, visit = visit_get(user=request.user, subject_id=subject_id, code=code)
    if sample_code not in visit.samples:
        raise Http404("This visit expects no such sample")
    return patient, visit, _plan(patient.site).sample_type(sample_code)


@login_required
@require_http_methods(["GET", "POST"])
def sample_draw(request, subject_id, code, sample_code):
    patient, visit, sample_type = _expected_sample(request, subject_id, code, sample_code)
    _require_entry(request.user, patient.site)
    with site_time(patient.site):
        form = DrawForm(request.POST or None, initial={"tube_type": sample_type.tube_type})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            sample, _ = apply_service(form, lambda: services.sample_record_draw(
                actor=request.user, visit=visit, sample_code=sample_code,
                drawn_at=data["drawn_at"], drawn_by=data["drawn_by"],
                tube_type=data["tube_type"]))
            if sample is not None:
                messages.success(request, f"{sample_type.label} draw recorded.")
                return redirect("sample-process", pk=sample.pk)
        return render(request, "biosamples/draw.html", {
            "patient": patient, "visit": visit, "sample_type": sample_type, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def sample_not_collected(request, subject_id, code, sample_code):
    patient, visit, sample_type = _expected_sample(request, subject_id, code, sample_code)
    _require_entry(request.user, patient.site)
    form = NotCollectedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        sample, _ = apply_service(form, lambda: services.sample_record_not_collected(
            actor=request.user, visit=visit, sample_code=sample_code,
            reason=form.cleaned_data["reason"]))
        if sample is not None:
            messages.success(request, f"{sample_type.label} recorded as not collected.")
            return redirect("visit-detail", subject_id=patient.subject_id, code=visit.code)
    return render(request, "biosamples/not_collected.html", {
        "patient": patient, "visit": visit, "sample_type": sample_type, "form": form})


@login_required
def visit_sample_labels(request, subject_id, code):
    patient, visit = visit_get(user=request.user, subject_id=subject_id, code=code)
    aliquots = selectors.visit_aliquots(visit)
    body = pdf.label_sheet(aliquots, title=f"Aliquot labels {patient.subject_id} {visit.code}")
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="labels-{patient.subject_id}-{visit.code}.pdf"')
    return response


# --- one sample ---------------------------------------------------------------------------------


def _sample_page(request, sample, *, form=None, conflict=None, correction=None,
                 correction_conflict=None):
    site = sample.site
    can_enter = access.can_enter_data(request.user, site)
    if correction is None and can_enter and sample.status != "not_collected":
        correction = SampleCorrectionForm(initial=SampleCorrectionForm.initial_for(sample),
                                          processed=sample.status == "processed",
                                          prefix="correct")
    aliquots = selectors.sample_aliquots(sample)
    return render(request, "biosamples/sample.html", {
        "sample": sample, "visit": sample.visit, "patient": sample.visit.patient,
        "sample_type": _plan(site).sample_type(sample.sample_code), "form": form,
        "conflict": conflict, "aliquots": aliquots,
        "can_enter": can_enter, "correction": correction if can_enter else None,
        "correction_conflict": correction_conflict,
        "discardable": [a for a in aliquots if a.status in ("created", "stored")]
        if can_enter else [],
    })


@login_required
@require_http_methods(["GET", "POST"])
def sample_process(request, pk):
    sample = selectors.sample_get(user=request.user, pk=pk)
    site = sample.site
    sample_type = _plan(site).sample_type(sample.sample_code)
    can_edit = access.can_enter_data(request.user, site) and sample.status == "collected"
    if request.method == "POST" and not can_edit:
        _require_entry(request.user, site)
    with site_time(site):
        form = ProcessForm(request.POST or None, initial={
            "version": sample.version, "aliquot_count": sample_type.default_aliquot_count,
            "aliquot_volume_ml": sample_type.default_aliquot_volume_ml, "haemolysis": "none"})
        conflict = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            done, conflict = apply_service(form, lambda: services.sample_process(
                actor=request.user, sample=sample, expected_version=data["version"],
                centrifuge_started_at=data["centrifuge_started_at"],
                haemolysis=data["haemolysis"], frozen_at=data["frozen_at"],
                aliquot_count=data["aliquot_count"],
                aliquot_volume_ml=data["aliquot_volume_ml"]))
            if done is not None:
                text = f"Processed: {done.aliquot_count} aliquots labelled."
                if done.deviation_text:
                    messages.warning(request, f"Pre-analytical deviation: {done.deviation_text}.")
                messages.success(request, text)
                return redirect("sample-process", pk=sample.pk)
        return _sample_page(request, sample, form=form if can_edit else None, conflict=conflict)


@login_required
def sample_correct(request, pk):
    """Correct the recorded draw or processing times, with a reason (see the service)."""
    sample = selectors.sample_get(user=request.user, pk=pk)
    if refused := _post_only(request):
        return refused
    _require_entry(request.user, sample.site)
    with site_time(sample.site):
        form = SampleCorrectionForm(request.POST, processed=sample.status == "processed",
                                    prefix="correct")
        conflict = None
        if form.is_valid():
            done, conflict = apply_service(form, lambda: services.sample_correct(
                actor=request.user, sample=sample, expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"], **form.values()))
            if done is not None:
                messages.success(request, "Correction saved; the chain of custody records it.")
                if done.deviation_text:
                    messages.warning(request, f"Pre-analytical deviation: {done.deviation_text}.")
                return redirect("sample-process", pk=sample.pk)
        # Refused: the page shows the record as saved, and the form with the user's values.
        sample = selectors.sample_get(user=request.user, pk=pk)
        return _sample_page(request, sample, correction=form, correction_conflict=conflict)


@login_required
def aliquot_discard(request, pk):
    sample = selectors.sample_get(user=request.user, pk=pk)
    if refused := _post_only(request):
        return refused
    _require_entry(request.user, sample.site)
    form = DiscardForm(request.POST)
    if form.is_valid():
        aliquot = Aliquot.objects.filter(sample=sample, label=form.cleaned_data["aliquot"]) \
            .select_related("box__rack__freezer", "sample").first()
        if aliquot is None:
            form.add_error("aliquot", "This sample has no aliquot with this label.")
        else:
            done, _ = apply_service(form, lambda: services.aliquot_discard(
                actor=request.user, aliquot=aliquot, reason=form.cleaned_data["reason"]))
            if done is not None:
                messages.success(request, f"{aliquot.label} discarded.")
                return redirect("sample-process", pk=sample.pk)
    return _refused_back_to_sample(request, form, "Discard", sample)


def _refused_back_to_sample(request, form, what, sample):
    """Back to the sample page, with each of the form's refusals as a message."""
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(request, f"{what} refused: {error}" if field == "__all__"
                           else f"{what} refused ({field}): {error}")
    return redirect("sample-process", pk=sample.pk)


@login_required
def sample_split(request, pk):
    """Split one of the sample's aliquots into children (the parent is used up)."""
    sample = selectors.sample_get(user=request.user, pk=pk)
    if refused := _post_only(request):
        return refused
    _require_entry(request.user, sample.site)
    form = SplitForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        aliquot = Aliquot.objects.filter(sample=sample, label=data["aliquot"]).select_related(
            "box__rack__freezer", "sample").first()
        if aliquot is None:
            form.add_error("aliquot", "This sample has no aliquot with this label.")
        else:
            children, _ = apply_service(form, lambda: services.aliquot_split(
                actor=request.user, aliquot=aliquot, count=data["count"],
                volume_ml=data["volume_ml"]))
            if children is not None:
                messages.success(request, f"{aliquot.label} split into "
                                          f"{', '.join(c.label for c in children)}.")
                return redirect("sample-process", pk=sample.pk)
    return _refused_back_to_sample(request, form, "Split", sample)


@login_required
def sample_custody(request, pk):
    sample = selectors.sample_get(user=request.user, pk=pk)
    with site_time(sample.site):
        return render(request, "biosamples/custody.html", {
            "sample": sample, "visit": sample.visit, "patient": sample.visit.patient,
            "events": selectors.custody_events(sample),
            "aliquots": selectors.sample_aliquots(sample),
        })


# --- storage ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def site_storage(request, code):
    site = selectors.site_get(user=request.user, code=code)
    _plan(site)
    can_edit = access.can_enter_data(request.user, site)
    form = BoxForm(request.POST or None)
    if request.method == "POST":
        _require_entry(request.user, site)
        if form.is_valid():
            data = form.cleaned_data
            box, _ = apply_service(form, lambda: services.storage_create(
                actor=request.user, site=site, freezer_name=data["freezer"],
                rack_name=data["rack"], box_name=data["box"]))
            if box is not None:
                messages.success(request, f"Box {box} ready.")
                return redirect("box-map", pk=box.pk)
    return render(request, "biosamples/storage.html", {
        "site": site, "boxes": selectors.site_boxes(site), "form": form, "can_edit": can_edit,
        "shipments": selectors.site_shipments(site)})


def _box_page(request, box, store_form=None):
    site = box.rack.freezer.site
    grid, count = selectors.box_grid(box)
    can_edit = access.can_enter_data(request.user, site)
    return render(request, "biosamples/box_map.html", {
        "box": box, "site": site, "grid": grid, "count": count,
        "columns": range(1, box.columns + 1),
        "store_form": store_form or StoreForm(box=box, initial={
            "label": request.GET.get("label", "")}),
        "drafts": selectors.draft_shipments(site) if can_edit else [],
        "can_edit": can_edit,
    })


@login_required
def box_map(request, pk):
    return _box_page(request, selectors.box_get(user=request.user, pk=pk))


def _post_only(request):
    """POST-only actions look the object up first, so a foreign one answers 404 to any method."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


@login_required
def box_store(request, pk):
    box = selectors.box_get(user=request.user, pk=pk)
    if refused := _post_only(request):
        return refused
    site = box.rack.freezer.site
    _require_entry(request.user, site)
    form = StoreForm(request.POST, box=box)
    if form.is_valid():
        aliquot = Aliquot.objects.filter(site=site, label=form.cleaned_data["label"]).first()
        if aliquot is None:
            form.add_error("label", "No aliquot of this site has this label.")
        else:
            row, column = form.cleaned_data["position"]
            stored, _ = apply_service(form, lambda: services.aliquot_store(
                actor=request.user, aliquot=aliquot, box=box, row=row, column=column))
            if stored is not None:
                messages.success(request, f"{aliquot.label} stored at {stored.position}.")
                return redirect("box-map", pk=box.pk)
    return _box_page(request, box, form)


# --- shipments ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def site_shipments(request, code):
    site = selectors.site_get(user=request.user, code=code)
    plan = _plan(site)
    form = ShipmentForm(request.POST or None, labs=plan.labs)
    if request.method == "POST":
        _require_entry(request.user, site)
        if form.is_valid():
            shipment, _ = apply_service(form, lambda: services.shipment_create(
                actor=request.user, site=site,
                destination_lab=form.cleaned_data["destination_lab"]))
            if shipment is not None:
                messages.success(request, f"Shipment {shipment.reference} started.")
                return redirect("shipment-detail", pk=shipment.pk)
    with site_time(site):
        return render(request, "biosamples/shipments.html", {
            "site": site, "shipments": selectors.site_shipments(site), "form": form,
            "labs": {lab.code: lab.name for lab in plan.labs},
            "can_edit": access.can_enter_data(request.user, site)})


def _shipment_page(request, shipment, *, ship_form=None, errors=()):
    site = shipment.site
    plan = _plan(site)
    can_edit = access.can_enter_data(request.user, site) and shipment.status == "draft"
    with site_time(site):
        return render(request, "biosamples/shipment.html", {
            "shipment": shipment, "site": site,
            "lab": plan.lab(shipment.destination_lab),
            "rows": selectors.shipment_rows(shipment),
            "available": selectors.available_aliquots(site) if can_edit else [],
            "ship_form": ship_form or ShipForm(initial={"version": shipment.version,
                                                        "dry_ice": True}),
            "can_edit": can_edit, "errors": errors,
        })


@login_required
def shipment_detail(request, pk):
    return _shipment_page(request, selectors.shipment_get(user=request.user, pk=pk))


def _error_list(exc):
    if hasattr(exc, "error_dict"):
        return [m for errors in exc.message_dict.values() for m in errors]
    return exc.messages


@login_required
def shipment_add(request, pk):
    shipment = selectors.shipment_get(user=request.user, pk=pk)
    if refused := _post_only(request):
        return refused
    _require_entry(request.user, shipment.site)
    ids = [int(x) for x in request.POST.getlist("aliquot") if x.isdigit()]
    aliquots = list(Aliquot.objects.filter(site=shipment.site, pk__in=ids).select_related(
        "sample", "box__rack__freezer"))
    try:
        services.shipment_add_aliquots(actor=request.user, shipment=shipment, aliquots=aliquots)
    except ValidationError as exc:
        return _shipment_page(request, shipment, errors=_error_list(exc))
    messages.success(request, f"{len(aliquots)} aliquot(s) added to {shipment.reference}.")
    back = request.POST.get("next_box")
    if back and back.isdigit():
        return redirect("box-map", pk=int(back))
    return redirect("shipment-detail", pk=shipment.pk)


@login_required
def shipment_remove(request, pk):
    shipment = selectors.shipment_get(user=request.user, pk=pk)
    if refused := _post_only(request):
        return refused
    _require_entry(request.user, shipment.site)
    aliquot = Aliquot.objects.filter(site=shipment.site,
                                     pk=request.POST.get("aliquot") or 0).select_related(
        "sample", "box__rack__freezer").first()
    if aliquot is None:
        raise Http404("No such aliquot")
    try:
        services.shipment_remove_aliquot(actor=request.user, shipment=shipment, aliquot=aliquot)
    except ValidationError as exc:
        return _shipment_page(request, shipment, errors=_error_list(exc))
    messages.success(request, f"{aliquot.label} taken out of {shipment.reference}.")
    return redirect("shipment-detail", pk=shipment.pk)


@login_required
def shipment_ship(request, pk):
    shipment = selectors.shipment_get(user=request.user, pk=pk)
    if refused := _post_only(request):
        return refused
    _require_entry(request.user, shipment.site)
    with site_time(shipment.site):
        form = ShipForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            done, _ = apply_service(form, lambda: services.shipment_ship(
                actor=request.user, shipment=shipment, shipped_at=data["shipped_at"],
                courier=data["courier"], tracking_number=data["tracking_number"],
                dry_ice=data["dry_ice"], expected_version=data["version"]))
            if done is not None:
                messages.success(request, f"{shipment.reference} marked shipped.")
                return redirect("shipment-detail", pk=shipment.pk)
    return _shipment_page(request, shipment, ship_form=form)


def _manifest_context(request, pk):
    shipment = selectors.shipment_get_any_role(user=request.user, pk=pk)
    lab = _plan(shipment.site).lab(shipment.destination_lab)
    return shipment, lab, selectors.shipment_rows(shipment)


MANIFEST_COLUMNS = ["shipment", "destination_lab", "aliquot_label", "visit_code",
                    "collected_at_utc", "volume_ml", "freeze_thaw_cycles",
                    "pre_analytical_deviation", "receipt"]


@login_required
def shipment_manifest_csv(request, pk):
    shipment, lab, rows = _manifest_context(request, pk)
    out = io.StringIO()
    writer = csv_safety.writer(out)
    writer.writerow(MANIFEST_COLUMNS)
    for aliquot in rows:
        item = aliquot.items_here[0] if aliquot.items_here else None
        writer.writerow([
            shipment.reference, lab.code, aliquot.label, aliquot.sample.visit.code,
            aliquot.sample.drawn_at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%MZ"),
            aliquot.volume_ml, aliquot.freeze_thaw_count, aliquot.sample.deviation_text,
            item.receipt if item else ""])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="manifest-{shipment.reference}.csv"'
    return response


@login_required
def shipment_manifest_pdf(request, pk):
    shipment, lab, rows = _manifest_context(request, pk)
    response = HttpResponse(pdf.manifest_pdf(shipment, rows, lab_name=lab.name),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="manifest-{shipment.reference}.pdf"'
    return response


# --- central laboratory -------------------------------------------------------------------------


def _require_lab(user):
    if not (Role.CENTRAL_LAB in access.roles_of(user) or user.is_superuser):
        raise PermissionDenied("These pages are the central laboratory's.")


@login_required
def lab_home(request):
    _require_lab(request.user)
    return render(request, "biosamples/lab_home.html", {
        "shipments": selectors.lab_shipments(request.user),
        "studies": selectors.lab_studies(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def shipment_receive(request, pk):
    shipment = selectors.lab_shipment_get(user=request.user, pk=pk)
    rows = selectors.shipment_rows(shipment)
    labels = [a.label for a in rows]
    lab = _plan(shipment.site).lab(shipment.destination_lab)
    form = ReceiveForm(request.POST or None, labels=labels,
                       initial={"version": shipment.version, "arrival_condition": "frozen"})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done, conflict = apply_service(form, lambda: services.shipment_receive(
            actor=request.user, shipment=shipment, received_at=data["received_at"],
            arrival_condition=data["arrival_condition"], receipts=form.receipts(),
            expected_version=data["version"]))
        if done is not None:
            messages.success(request, f"{shipment.reference} received.")
            return redirect("shipment-receive", pk=shipment.pk)
    return render(request, "biosamples/receive.html", {
        "shipment": shipment, "lab": lab, "rows": list(zip(rows, form.receipt_fields(),
                                                          strict=True)),
        "form": form, "conflict": conflict, "can_receive": shipment.status == "shipped"})


@login_required
@require_http_methods(["GET", "POST"])
def results_upload(request, code):
    study = next((s for s in selectors.lab_studies(request.user) if s.code == code), None)
    if study is None:
        raise Http404("No such study")
    form = ResultsUploadForm(request.POST or None, request.FILES or None)
    rows = []
    if request.method == "POST" and form.is_valid():
        name, text = form.cleaned_data["file"]
        try:
            manifest = services.results_upload(actor=request.user, study=study, text=text,
                                               file_name=name)
        except services.ManifestRejected as exc:
            rows = exc.rows
            for message in exc.message_dict.get("file", []):
                form.add_error("file", message)
        else:
            messages.success(request, f"{manifest.row_count} result(s) imported from "
                                      f"{manifest.file_name}.")
            return redirect("lab-home")
    return render(request, "biosamples/results_upload.html", {
        "study": study, "form": form, "rows": rows})
