from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse_lazy

from trialsite import access
from trialsite import home as home_sections
from trialsite.accounts import OwnPasswordChangeForm


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


class PasswordChange(auth_views.PasswordChangeView):
    """The user's own password change; it also ends a reset's hold on the account."""

    form_class = OwnPasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password was changed.")
        return response
