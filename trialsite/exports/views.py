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
