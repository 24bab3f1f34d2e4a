from django.contrib import admin

from enrollment.models import Patient
from trialsite.admin import ReadOnlyAuditedAdmin


@admin.register(Patient)
class PatientAdmin(ReadOnlyAuditedAdmin):
    list_display = ["subject_id", "site", "status", "consent_date", "voided_at"]
    list_filter = ["status", "site__study"]
    list_select_related = ["site"]
    search_fields = ["subject_id"]
