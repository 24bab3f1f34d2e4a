"""Django admin for users, studies, sites and memberships; clinical records are read-only here."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from trialsite.accounts import AccountChangeForm, AdminPasswordResetForm
from trialsite.models import Membership, Site, Study, User


class AuditedAdminForm(forms.ModelForm):
    reason_for_change = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when changing an existing record; stored in the audit trail.",
    )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and not (cleaned.get("reason_for_change") or "").strip():
            self.add_error("reason_for_change", "A reason for change is required.")
        return cleaned


class AuditedModelAdmin(SimpleHistoryAdmin):
    """Saves as the logged-in user with the reason given; never deletes."""

    form = AuditedAdminForm

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        obj._change_reason = (form.cleaned_data.get("reason_for_change") or "").strip()
        obj.save()

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAuditedAdmin(SimpleHistoryAdmin):
    """Clinical records: viewable with their history; every write goes through the pages."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Study)
class StudyAdmin(AuditedModelAdmin):
    list_display = ["code", "registry_id", "status"]


@admin.register(Site)
class SiteAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "city", "country", "study", "target_enrolment"]
    list_filter = ["study", "country"]


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ["user", "role", "study", "site", "voided_at"]
    list_filter = ["role", "study"]
    list_select_related = ["user", "study", "site"]


@admin.register(User)
class TrialsiteUserAdmin(UserAdmin, SimpleHistoryAdmin):
    """Accounts: a change (a rename above all) and a password reset each need a reason."""

    form = AccountChangeForm
    change_password_form = AdminPasswordResetForm
    change_user_password_template = "admin/trialsite/user/change_password.html"
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Security", {"fields": ("password_change_required",)}),
        ("Reason for change", {"fields": ("reason_for_change",)}),
    )

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        if change:
            obj._change_reason = form.cleaned_data["reason_for_change"]
        obj.save()

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, not deleted: the audit trail points at them.
        return False
