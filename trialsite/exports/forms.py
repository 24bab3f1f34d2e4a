from datetime import UTC, datetime, time

from django import forms
from django.utils import timezone


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “SAS nightly pull”.")
    expires_on = forms.DateField(
        required=False, label="Expires on", widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional: the token stops working at the end of this day (UTC); at the "
                  "latest (and by default) it expires after the longest lifetime allowed.")

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.now().date():
            raise forms.ValidationError("The expiry day is in the past.")
        return day

    @property
    def expires_at(self):
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return datetime.combine(day, time.max, tzinfo=UTC)
