"""The screening form, built from the protocol's declared variables."""

from django import forms

from eligibility.domain.screening import FILE_ONLY_VARIABLES, REGISTRATION_VARIABLES, canonical
from eligibility.domain.variables import InvalidValue, accepted_units, parse_value
from trialsite.forms import DateInput
from trialsite.protocols.criteria import VariableType

UNIT_SUFFIX = "__unit"


def form_variables(protocol):
    """The variables a coordinator enters (registration facts come from the patient)."""
    skip = set(REGISTRATION_VARIABLES) | set(FILE_ONLY_VARIABLES)
    return [v for v in protocol.eligibility_variables if v.name not in skip]


def _field(variable):
    label = variable.label + (f" ({variable.unit})" if variable.unit else "")
    common = {"label": label, "required": False, "help_text": variable.help_text}
    if variable.type == VariableType.CODE:
        choices = [("", "—")] + [(c.code, c.label if c.label != c.code else c.code)
                                 for c in variable.choices]
        return forms.ChoiceField(choices=choices, **common)
    if variable.type == VariableType.DATE:
        return forms.CharField(widget=DateInput(), max_length=10, **common)
    attrs = {"inputmode": "decimal", "autocomplete": "off"}
    if variable.min_value is not None:
        attrs["data-min"] = str(variable.min_value)
    return forms.CharField(widget=forms.TextInput(attrs=attrs), max_length=40, **common)


class ScreeningForm(forms.Form):
    """Every field optional: a partial screening is saved and shows what is still missing.

    Values are read by the same parser the prescreen uses, so a bad value gets the same message
    at its field; numbers entered in another unit are converted to the protocol's unit.
    """

    def __init__(self, *args, protocol, with_reason=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.protocol = protocol
        self.variables = form_variables(protocol)
        for variable in self.variables:
            self.fields[variable.name] = _field(variable)
            units = accepted_units(variable)
            if len(units) > 1:
                self.fields[variable.name + UNIT_SUFFIX] = forms.ChoiceField(
                    choices=[(u, u) for u in units], required=False, label="unit",
                )
        if with_reason:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
            self.fields["reason"] = forms.CharField(
                label="Reason for change", max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Required: stored in the audit trail with your name and the time.",
            )

    def clean(self):
        cleaned = super().clean()
        values = {}
        for variable in self.variables:
            raw = cleaned.get(variable.name) or ""
            if "\x00" in raw:
                self.add_error(variable.name, "NUL characters are not allowed.")
                continue
            unit = cleaned.get(variable.name + UNIT_SUFFIX) or None
            try:
                value = parse_value(variable, raw, unit)
            except InvalidValue as error:
                self.add_error(variable.name, error.message)
                continue
            if value is not None:
                values[variable.name] = canonical(value)
        cleaned["values"] = values
        return cleaned

    def field_rows(self):
        """(field, unit field or None) pairs in declaration order, for the template."""
        rows = []
        for variable in self.variables:
            unit_name = variable.name + UNIT_SUFFIX
            unit = self[unit_name] if unit_name in self.fields else None
            rows.append((self[variable.name], unit))
        return rows


class ConfirmForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-entering your password signs the confirmation with your name and the time.",
    )


class ScreenFailureForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label="Comment", max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class EnrolForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    cdk46i = forms.ChoiceField(label="CDK4/6 inhibitor")
    cdk46i_start_dose_mg = forms.ChoiceField(label="Starting dose (mg)")
    endocrine = forms.ChoiceField(label="Endocrine therapy")
    ovarian_suppression = forms.BooleanField(
        label="Ovarian function suppression (LHRH analogue)", required=False
    )

    def __init__(self, *args, protocol, **kwargs):
        super().__init__(*args, **kwargs)
        plan = protocol.enrolment
        drugs = [protocol.drug(code) for code in plan.cdk46i_drugs]
        self.fields["cdk46i"].choices = [(d.code, d.name) for d in drugs]
        doses = sorted({level for d in drugs for level in d.dose_levels_mg}, reverse=True)
        if plan.fixed_starting_dose:
            doses = sorted({d.starting_dose_mg for d in drugs}, reverse=True)
        self.fields["cdk46i_start_dose_mg"].choices = [(str(d), f"{d} mg") for d in doses]
        self.fields["endocrine"].choices = [
            (code, protocol.drug(code).name) for code in plan.endocrine_drugs
        ]
        if not plan.ovarian_suppression_variable:
            del self.fields["ovarian_suppression"]
