from django import forms

from trialsite.forms import AuditedChangeForm, DateInput


class RedateForm(AuditedChangeForm):
    new_day1 = forms.DateField(label="New day 1", widget=DateInput())
    field_order = ["new_day1", "reason"]


class MissedForm(AuditedChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Why was the visit missed?"


class ProgressionForm(AuditedChangeForm):
    progression_date = forms.DateField(widget=DateInput())
    basis = forms.ChoiceField(label="Progression assessed",
                              choices=[("clinical", "clinical (investigator)"),
                                       ("radiological", "radiological (RECIST 1.1)")])
    field_order = ["progression_date", "basis", "reason"]


class DeathForm(AuditedChangeForm):
    death_date = forms.DateField(label="Date of death", widget=DateInput())
    cause = forms.ChoiceField(label="Cause of death",
                              choices=[("progression", "disease progression"),
                                       ("adverse_event", "adverse event"), ("other", "other")])
    field_order = ["death_date", "cause", "reason"]
