from django import forms
from django.core.exceptions import ValidationError

from enrollment.domain.lifecycle import next_statuses
from enrollment.models import Patient
from trialsite.forms import AuditedChangeForm, DateInput


def _no_nul(value):
    if value and "\x00" in value:
        raise ValidationError("NUL characters are not allowed.")


class PatientFieldsForm(forms.Form):
    sex = forms.ChoiceField(choices=Patient.Sex.choices, widget=forms.RadioSelect)
    birth_date = forms.DateField(widget=DateInput())
    consent_date = forms.DateField(label="Informed consent date", widget=DateInput())
    consent_version = forms.CharField(
        label="Consent form version", max_length=20, validators=[_no_nul]
    )

    def __init__(self, *args, consent_versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        if consent_versions:
            self.fields["consent_version"] = forms.ChoiceField(
                label="Consent form version", choices=[(v, v) for v in consent_versions]
            )

    def clean(self):
        cleaned = super().clean()
        birth, consent = cleaned.get("birth_date"), cleaned.get("consent_date")
        if birth and consent and consent < birth:
            self.add_error("consent_date", "Consent cannot be dated before birth.")
        return cleaned


class PatientRegisterForm(PatientFieldsForm):
    site = forms.ModelChoiceField(queryset=None, empty_label=None)
    field_order = ["site", "sex", "birth_date", "consent_date", "consent_version"]

    def __init__(self, *args, sites, **kwargs):
        versions = sorted({v for s in sites for v in s.study.protocol.consent_versions})
        super().__init__(*args, consent_versions=versions, **kwargs)
        self.fields["site"].queryset = sites


class PatientEditForm(AuditedChangeForm, PatientFieldsForm):
    field_order = ["sex", "birth_date", "consent_date", "consent_version", "reason"]


class PatientStatusForm(AuditedChangeForm):
    status = forms.ChoiceField(label="New status")
    field_order = ["status", "reason"]

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (s.value, s.label) for s in next_statuses(patient.status, manual=True)
        ]


class PatientWithdrawForm(AuditedChangeForm):
    withdrawal_date = forms.DateField(widget=DateInput())
    field_order = ["withdrawal_date", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Reason for withdrawal"
        self.fields["reason"].help_text = "As the patient or investigator gave it."


class PatientVoidForm(AuditedChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Reason for voiding"
        self.fields["reason"].help_text = (
            "The record stays, marked voided, in the casebook and the audit trail."
        )
