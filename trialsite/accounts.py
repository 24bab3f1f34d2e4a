"""Accounts: self-service password change, administrator resets, session lifetime.

Who acted must stay who acted (21 CFR Part 11 §11.10(d), §11.300): an administrator who resets
a password must not be able to use it unnoticed, so the reset is audited with a reason and the
user has to set a new password of their own before doing anything else. A session also ends a
fixed time after login, however active it is (``SESSION_ABSOLUTE_HOURS``), besides the idle
timeout.
"""

import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.forms import AdminPasswordChangeForm, PasswordChangeForm, UserChangeForm
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

LOGIN_AT_KEY = "trialsite_login_at"


def _clean_reason(value):
    reason = (value or "").strip()
    if not reason:
        raise forms.ValidationError("A reason is required; it is stored in the audit trail.")
    if "\x00" in reason:
        raise forms.ValidationError("The reason contains a NUL character.")
    return reason


class AccountChangeForm(UserChangeForm):
    """The administrator's account form: every change (a rename above all) needs a reason."""

    reason_for_change = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required: stored in the account's audit trail with your name and the time. "
                  "Signatures keep the name printed when they were made.",
    )

    def clean_reason_for_change(self):
        return _clean_reason(self.cleaned_data.get("reason_for_change"))


class AdminPasswordResetForm(AdminPasswordChangeForm):
    """An administrator's reset: audited with a reason; the user must then choose their own."""

    reason_for_reset = forms.CharField(
        label="Reason for the reset", widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required: stored in the account's audit trail. The user will have to set a "
                  "new password at their next log-in before doing anything else.",
    )

    def clean_reason_for_reset(self):
        return _clean_reason(self.cleaned_data.get("reason_for_reset"))

    def save(self, commit=True):
        user = super().save(commit=False)
        user.password_change_required = True
        user._change_reason = (
            f"Password reset by an administrator: {self.cleaned_data['reason_for_reset']}"
        )
        if commit:
            user.save()
        return user


class OwnPasswordChangeForm(PasswordChangeForm):
    """The user's own password change (old password, then the new one twice)."""

    def save(self, commit=True):
        self.user.set_password(self.cleaned_data["new_password1"])
        self.user.password_change_required = False
        self.user._change_reason = "Password changed by the user"
        if commit:
            self.user.save()
        return self.user


def record_login_time(sender, request, user, **kwargs):
    """``user_logged_in`` receiver: the session remembers when its login happened."""
    if hasattr(request, "session"):
        request.session[LOGIN_AT_KEY] = int(time.time())


class AccountSecurityMiddleware:
    """End sessions past their absolute lifetime; hold users who must change their password."""

    ALLOWED_WHILE_CHANGE_REQUIRED = ("password-change", "logout", "login")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        login_at = request.session.get(LOGIN_AT_KEY)
        lifetime = settings.SESSION_ABSOLUTE_HOURS * 3600
        if login_at is None or time.time() - login_at > lifetime:
            logout(request)
            message = (f"Your session ended: sessions last at most "
                       f"{settings.SESSION_ABSOLUTE_HOURS} hours. Please log in again.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=401)
            messages.info(request, message)
            return redirect(f"{reverse('login')}?next={request.path}")
        if user.password_change_required:
            match = getattr(request, "resolver_match", None)
            from django.urls import Resolver404, resolve

            try:
                name = (match or resolve(request.path_info)).url_name
            except Resolver404:
                name = None
            if name not in self.ALLOWED_WHILE_CHANGE_REQUIRED:
                message = ("An administrator reset your password: set a new password of your "
                           "own before doing anything else.")
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": message}, status=403)
                messages.warning(request, message)
                return redirect("password-change")
        return self.get_response(request)
