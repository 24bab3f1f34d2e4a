"""Pages: the laboratory's spectra upload and batches; the statistician's analysis runs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from biosamples.spectra import pdf, plots, selectors, services
from biosamples.spectra.domain.batch import BatchRejected
from biosamples.spectra.forms import AnalysisForm, SpectraUploadForm


@login_required
@require_http_methods(["GET", "POST"])
def spectra_upload(request, code):
    study = selectors.lab_study_get(user=request.user, code=code)
    form = SpectraUploadForm(request.POST or None, request.FILES or None)
    issues = []
    if request.method == "POST" and form.is_valid():
        name, data = form.cleaned_data["file"]
        try:
            batch = services.spectra_upload(actor=request.user, study=study, data=data,
                                            file_name=name)
        except BatchRejected as exc:
            issues = exc.issues
            form.add_error("file", f"{len(issues)} problem(s): nothing was imported.")
        except PermissionDenied as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, f"{batch.spectrum_count} spectra imported from "
                                      f"{batch.file_name} ({batch.flagged_count} flagged by QC).")
            return redirect("spectra-batch", pk=batch.pk)
    return render(request, "biosamples/spectra/upload.html", {
        "study": study, "form": form, "issues": issues,
        "batches": selectors.lab_batches(request.user, study)})


@login_required
def spectra_batch(request, pk):
    batch = selectors.lab_batch_get(user=request.user, pk=pk)
    return render(request, "biosamples/spectra/batch.html", {
        "batch": batch, "spectra": selectors.batch_spectra(batch)})


@login_required
@require_http_methods(["GET", "POST"])
def fingerprint_runs(request, code):
    study = selectors.statistician_study_get(user=request.user, code=code)
    form = AnalysisForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        run = services.analysis_request(actor=request.user, study=study,
                                        age_stratified=form.cleaned_data["age_stratified"])
        messages.success(request, f"Analysis {run.pk} queued.")
        return redirect("fingerprint-run", pk=run.pk)
    plan = study.protocol.spectra
    return render(request, "biosamples/spectra/runs.html", {
        "study": study, "form": form, "runs": selectors.runs_of(study), "plan": plan})


def _visit_order(study):
    return [v.code for v in study.protocol.schedule.visits]


def report_context(run):
    plan = run.study.protocol.spectra
    order = _visit_order(run.study)
    techniques = []
    for code, result in run.results.get("techniques", {}).items():
        q3 = result["question_3"]
        visits = sorted({v for g in q3["by_group"].values() for v in g},
                        key=lambda v: order.index(v) if v in order else len(order))
        techniques.append({
            "code": code, "result": result,
            "roc": plots.roc_plot(result["question_1"].get("roc"),
                                  title=f"{code}: ROC, baseline fingerprint → responder"),
            "distance": plots.distance_plot(q3["by_group"], visits,
                                            title=f"{code}: distance from baseline"),
        })
    assumptions = [*plan.assumptions, *plan.classifier.assumptions,
                   *(a for t in plan.techniques for a in t.assumptions)]
    return {"run": run, "techniques": techniques, "assumptions": assumptions, "plan": plan,
            "requested_by": selectors.requested_by(run)}


@login_required
def fingerprint_run(request, pk):
    run = selectors.run_get(user=request.user, pk=pk)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"status": run.status, "progress": run.progress,
                             "progress_text": run.progress_text})
    return render(request, "biosamples/spectra/report.html", report_context(run))


@login_required
def fingerprint_run_pdf(request, pk):
    run = selectors.run_get(user=request.user, pk=pk)
    response = HttpResponse(pdf.report_pdf(report_context(run)),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="fingerprint-analysis-{run.pk}.pdf"'
    return response
