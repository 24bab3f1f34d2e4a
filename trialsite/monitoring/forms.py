"""Forms of the monitoring pages."""

from django import forms

from trialsite.forms import DateInput


def _clean_text(value):
    value = (value or "").strip()
    if "\x00" in value:
        raise forms.ValidationError("The text contains a NUL character.")
    return value


class QueryOpenForm(forms.Form):
    field_name = forms.ChoiceField(label="Field (optional)", required=False)
    text = forms.CharField(label="Query", max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field_name"].choices = [("", "— the whole record —"), *fields]

    def clean_text(self):
        return _clean_text(self.cleaned_data["text"])


class QueryActionForm(forms.Form):
    ACTIONS = [("answer", "Answer"), ("close", "Close"), ("reopen", "Re-open")]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    text = forms.CharField(label="Message", max_length=4000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def clean_text(self):
        return _clean_text(self.cleaned_data["text"])


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def clean_reason(self):
        value = _clean_text(self.cleaned_data["reason"])
        if not value:
            raise forms.ValidationError("A reason is required.")
        return value


class SignForm(forms.Form):
    password = forms.CharField(
        label="Your password", widget=forms.PasswordInput(attrs={"autocomplete":
                                                                 "current-password"}),
        help_text="Re-entering your password signs the casebook with your name and the time.")


class TrailFilterForm(forms.Form):
    site = forms.ChoiceField(required=False)
    user = forms.ChoiceField(required=False)
    form = forms.ChoiceField(required=False)
    action = forms.ChoiceField(required=False, choices=[
        ("", "any"), ("created", "created"), ("changed", "changed"), ("voided", "voided")])
    date_from = forms.DateField(required=False, widget=DateInput(), label="From")
    date_to = forms.DateField(required=False, widget=DateInput(), label="To")

    def __init__(self, *args, sites=(), users=(), forms_=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", "all sites"), *sites]
        self.fields["user"].choices = [("", "anyone"), *users]
        self.fields["form"].choices = [("", "all forms"), *forms_]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return data
