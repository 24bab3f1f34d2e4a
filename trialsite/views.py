from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from trialsite import access
from trialsite import home as home_sections


@login_required
def home(request):
    sections = [
        {"section": s, **s.context(request.user)} for s in home_sections.sections_for(request.user)
    ]
    return render(
        request,
        "trialsite/home.html",
        {"sections": sections, "roles": sorted(access.roles_of(request.user))},
    )
