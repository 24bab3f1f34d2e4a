"""Forms of the real-world data pages: lines of therapy, comorbidities, collected items."""

from django import forms

from outcomes.models import LineResponse, StopReason
from trialsite.forms import AuditedChangeForm, DateInput


class LineForm(forms.Form):
    drugs = forms.MultipleChoiceField(label="Regimen", required=False,
                                      widget=forms.CheckboxSelectMultiple)
    other_regimen = forms.CharField(label="Other drugs of the regimen", max_length=300,
                                    required=False, help_text="Drugs not in the list above.")
    start_date = forms.DateField(label="Start date", widget=DateInput())
    stop_date = forms.DateField(label="Stop date", widget=DateInput(), required=False,
                                help_text="Empty while the line goes on.")
    best_response = forms.ChoiceField(label="Best response (as recorded by the site)",
                                      choices=LineResponse.choices,
                                      initial=LineResponse.NOT_ASSESSED)
    stop_reason = forms.ChoiceField(label="Reason for stopping", required=False,
                                    choices=[("", "— still on this line —"),
                                             *StopReason.choices])
    stop_reason_other = forms.CharField(label="Other reason for stopping", max_length=300,
                                        required=False)

    def __init__(self, *args, protocol, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["drugs"].choices = [(code, protocol.drug(code).name)
                                        for code in protocol.real_world.line_drugs]

    def values(self):
        data = self.cleaned_data
        return {"drugs": list(data["drugs"]), "other_regimen": data["other_regimen"],
                "start_date": data["start_date"], "stop_date": data["stop_date"],
                "best_response": data["best_response"], "stop_reason": data["stop_reason"],
                "stop_reason_other": data["stop_reason_other"]}


class LineCorrectionForm(LineForm, AuditedChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"] = self.fields.pop("reason")


def line_initial(line):
    return {"version": line.version, "drugs": line.drugs, "other_regimen": line.other_regimen,
            "start_date": line.start_date, "stop_date": line.stop_date,
            "best_response": line.best_response, "stop_reason": line.stop_reason,
            "stop_reason_other": line.stop_reason_other}


class ComorbidityForm(forms.Form):
    code = forms.ChoiceField(label="Comorbidity at baseline")
    details = forms.CharField(label="Details", max_length=300, required=False)

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [(c.code, c.label) for c in plan.comorbidities]


class ItemForm(forms.Form):
    kind = forms.ChoiceField(label="Item")
    collected_on = forms.DateField(label="Collection date", widget=DateInput())
    storage_reference = forms.CharField(
        label="Where it is stored", max_length=300,
        help_text="PACS accession or archive reference, slide scanner file, block location.")
    consent_for_use = forms.BooleanField(label="The patient consented to its use", required=False)

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.code, k.label) for k in kinds]
