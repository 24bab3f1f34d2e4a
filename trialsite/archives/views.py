"""Pages of the archives: a patient's casebook PDF, and the site archives."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from trialsite.archives import services


@login_required
def casebook_pdf(request, subject_id):
    """One patient's casebook as a PDF, for those who read its audit trail (else 404)."""
    from django.http import HttpResponse
    from django.utils import timezone

    from trialsite.archives.casebook_pdf import casebook_pdf as build
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
