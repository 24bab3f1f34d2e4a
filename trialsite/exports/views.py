"""Pages: the exports page (datasets, data packages) and the API access page (tokens)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from trialsite.exports import services
from trialsite.exports.api import dataset_description
from trialsite.exports.forms import TokenCreateForm
from trialsite.exports.models import ApiRequest, ApiToken, DataPackage
from trialsite.exports.registry import all_datasets


@login_required
def exports_page(request):
    packages = DataPackage.objects.filter(requested_by=request.user)[:10]
    return render(request, "exports/exports.html", {
        "datasets": [dataset_description(d) for d in all_datasets()],
        "packages": packages,
    })


@login_required
def casebook_pdf(request, subject_id):
    """One patient's casebook as a PDF, for those who read its audit trail (else 404)."""
    from django.http import HttpResponse
    from django.utils import timezone

    from trialsite.exports.casebook_pdf import casebook_pdf as build
    from trialsite.monitoring.selectors import patient_get

    patient = patient_get(user=request.user, key=subject_id)
    data_cut = timezone.now()
    built = build(patient, user=request.user, data_cut=data_cut)
    response = HttpResponse(built.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{built.file_name}"'
    response["X-Checksum-SHA256"] = built.sha256
    response["X-Data-Cut"] = data_cut.isoformat()
    response["Cache-Control"] = "no-store"
    return response


@login_required
def stat_file_request(request):
    """The exports page's "SAS / SPSS / Stata" buttons: queue the file, back to the page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        package = services.stat_file_request(actor=request.user,
                                              dataset=request.POST.get("dataset", ""),
                                              file_format=request.POST.get("format", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{package.dataset}.{package.file_format} is being built: "
                                  "it appears under “Data package” when ready.")
    return redirect("exports")


@login_required
def api_access(request):
    if not services.may_hold_tokens(request.user):
        raise PermissionDenied("API tokens are for people with a role in a study.")
    form = TokenCreateForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_key = services.token_create(
                actor=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Token “{token.name}” created. Copy it now: it will not "
                                      "be shown again.")
            form = TokenCreateForm()
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    calls = (ApiRequest.objects.filter(user=request.user).select_related("token")
             .order_by("-at", "-id")[:20])
    return render(request, "exports/api_access.html", {
        "form": form, "new_key": new_key, "tokens": tokens, "calls": calls,
    })


@login_required
def token_revoke(request, pk):
    token = ApiToken.objects.filter(user=request.user, pk=pk).first()
    if token is None:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.token_revoke(actor=request.user, token=token)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("api-access")


@login_required
def site_archives(request):
    """Site archives: the data manager builds them (a site, or every site at study close);
    the site's investigators and the data manager download them."""
    from trialsite.access import sites_visible_to
    from trialsite.models import Role, Site, Study

    dm_sites = sites_visible_to(request.user, Site.objects.select_related("study"),
                                roles=frozenset({Role.DATA_MANAGER})).order_by("study__code",
                                                                              "code")
    if request.method == "POST":
        try:
            if request.POST.get("study"):
                study = Study.objects.filter(pk__in={s.study_id for s in dm_sites},
                                             code=request.POST["study"]).first()
                if study is None:
                    raise Http404
                built = services.study_close_archives(actor=request.user, study=study)
                messages.success(request, f"Study close: {len(built)} site archives requested.")
            else:
                site = dm_sites.filter(code=request.POST.get("site", "")).first()
                if site is None:
                    raise Http404
                services.site_archive_request(actor=request.user, site=site)
                messages.success(request, f"The archive of site {site.code} is being built.")
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        return redirect("site-archives")
    archives = list(services.archives_visible_to(request.user)
                    .select_related("site__study", "requested_by", "progress")[:100])
    studies = sorted({s.study.code for s in dm_sites})
    return render(request, "exports/site_archives.html", {
        "archives": archives, "dm_sites": dm_sites, "studies": studies,
        "building": any(a.status in ("queued", "running") for a in archives),
    })
