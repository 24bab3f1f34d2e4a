"""The data managers' import page: upload the CSV files, follow the job, read the problems."""

import hashlib

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from outcomes.models import ImportFile, ImportJob
from outcomes.realworld.importer import FILES, REQUIRED_FILES, can_import
from outcomes.tasks import run_real_world_import
from trialsite import access
from trialsite.audit import audited_save

#: Largest file accepted (the 3,500-patient follow-up file is about 4 MB).
MAX_FILE_BYTES = 50 * 1024 * 1024


class ImportForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in FILES:
            self.fields[name] = forms.FileField(
                label=name, required=name in REQUIRED_FILES,
                widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))

    def clean(self):
        data = super().clean()
        for name in FILES:
            upload = data.get(name)
            if upload is not None and upload.size > MAX_FILE_BYTES:
                self.add_error(name, "The file is larger than 50 MB.")
        return data


def import_job_create(*, actor, study, files):
    """Store the uploaded ``files`` ({name: bytes}) on a new job and queue it on commit."""
    with transaction.atomic():
        job = audited_save(ImportJob(study=study, requested_by=actor), actor=actor)
        for name, content in files.items():
            audited_save(ImportFile(job=job, name=name, content=content,
                                    sha256=hashlib.sha256(content).hexdigest()), actor=actor)
        transaction.on_commit(lambda: run_real_world_import.delay(job.pk))
    return job


def _study_for_import(request, code):
    """The study, if the user sees it (404 otherwise) and is one of its data managers (403)."""
    study = access.studies_visible_to(request.user).filter(code=code).first()
    if study is None or study.protocol.real_world is None:
        raise Http404("No such study")
    if not can_import(request.user, study):
        raise PermissionDenied("Only the study's data managers import real-world data.")
    return study


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request, code):
    study = _study_for_import(request, code)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method == "POST" and form.is_valid():
        uploads = {name: form.cleaned_data[name].read() for name in FILES
                   if form.cleaned_data.get(name) is not None}
        job = import_job_create(actor=request.user, study=study, files=uploads)
        return redirect("rwd-import-job", code=study.code, job_id=job.pk)
    jobs = (ImportJob.objects.filter(study=study).select_related("requested_by")
            .defer("problems", "summary")[:20])
    return render(request, "outcomes/realworld/import_start.html", {
        "study": study, "form": form, "jobs": jobs, "files": FILES,
        "required": REQUIRED_FILES,
    })


def _job(request, code, job_id):
    study = _study_for_import(request, code)
    return study, get_object_or_404(ImportJob.objects.select_related("requested_by"),
                                    pk=job_id, study=study)


@login_required
def import_job(request, code, job_id):
    study, job = _job(request, code, job_id)
    return render(request, "outcomes/realworld/import_job.html", {
        "study": study, "job": job, "files": job.files.defer("content").order_by("name"),
        "status_url": reverse("rwd-import-status", args=[study.code, job.pk]),
    })


@login_required
def import_status(request, code, job_id):
    """The job's progress, for the page's progress bar."""
    _, job = _job(request, code, job_id)
    return JsonResponse({"id": job.pk, "status": job.status,
                         "status_label": job.get_status_display(), "percent": job.percent,
                         "stage": job.stage, "finished": job.finished,
                         "problems": len(job.problems)})
