"""The visit forms' page forms: parsing, units and errors at the field.

Each is a ModelForm over its record's model, so the model's own rules (ranges, diastolic below
systolic, end after start, grade 5 is fatal ...) give their messages at the field as the user
types; the rules that need the visit or the protocol come from the service, through
``trialsite.forms.apply_service``. The forms never save: the view passes ``values()`` to a service.
"""

from __future__ import annotations

import copy
import re
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import model_to_dict
from django.utils.text import capfirst

from trialsite.forms import AuditedChangeForm, DateInput
from visits.crf.domain.dosing import days_taken_error
from visits.crf.models import (
    AE_TERMS,
    CYCLE_DAYS,
    DIASTOLIC,
    DISCONTINUED,
    HAEMOGLOBIN,
    HEART_RATE,
    HEIGHT,
    SAE_CRITERIA,
    SYSTOLIC,
    TEMPERATURE,
    WEIGHT,
    AdverseEvent,
    Chemistry,
    ConcomitantMedication,
    DrugExposure,
    Haematology,
    PerformanceStatus,
    SurvivalStatus,
    VitalSigns,
)

NUL_MESSAGE = "Null characters are not allowed."


class _NoNul:
    """Refuse NUL characters with a message that says so (instead of "enter a number")."""

    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(NUL_MESSAGE, code="null_characters_not_allowed")
        return super().to_python(value)


class DateField(_NoNul, forms.DateField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", DateInput())
        super().__init__(**kwargs)


class IntegerField(_NoNul, forms.IntegerField):
    pass


class TypedChoiceField(_NoNul, forms.TypedChoiceField):
    pass


class YesNoField(_NoNul, forms.TypedChoiceField):
    """A required yes/no question: unanswered is an error, not a silent "no"."""

    def __init__(self, **kwargs):
        super().__init__(choices=[("True", "Yes"), ("False", "No")],
                         coerce=lambda value: value == "True", empty_value=None,
                         widget=forms.RadioSelect, **kwargs)


_NUMBER = re.compile(r"^\s*([+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+))\s*(.*?)\s*$")


class MeasurementField(forms.CharField):
    """A number in a measure's unit; a unit typed after it is checked and converted.

    ``default_unit`` is the unit of a bare number (the measure's unit unless the page offers a
    choice, as for haemoglobin in g/dL or g/L). The value returned is in the measure's unit.
    """

    def __init__(self, measure, *, default_unit=None, **kwargs):
        self.measure = measure
        self.default_unit = default_unit or measure.unit
        kwargs.setdefault("widget", forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "size": 8}))
        super().__init__(max_length=40, **kwargs)

    def _unit_factor(self, unit):
        for accepted, factor in self.measure.accepted.items():
            if unit == accepted or unit.casefold() == accepted.casefold():
                return factor
        accepted = " or ".join(dict.fromkeys([self.measure.unit, *self.measure.aliases]))
        raise ValidationError(
            f"Wrong unit “{unit}”: enter the value in {accepted}.", code="unit")

    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(NUL_MESSAGE, code="null_characters_not_allowed")
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        match = _NUMBER.match(text)
        if match is None:
            raise ValidationError(
                f"Enter a number in {self.measure.unit}, for example 12.5.", code="invalid")
        number_text, unit = match.groups()
        if "," in number_text:
            # A decimal comma (12,5) is read as a point; "1,500" could be a thousands separator,
            # and misreading it would change the value a thousandfold, so it is refused.
            if re.search(r"\d,\d{3}$", number_text):
                raise ValidationError(
                    "Ambiguous: write decimals with a point and no thousands separator.",
                    code="invalid")
            number_text = number_text.replace(",", ".")
        try:
            number = Decimal(number_text)
        except InvalidOperation:
            raise ValidationError(
                f"Enter a number in {self.measure.unit}, for example 12.5.", code="invalid"
            ) from None
        factor = self._unit_factor(unit or self.default_unit)
        places = self.measure.decimal_places
        if factor != 1:
            number = (number * factor).quantize(Decimal(1).scaleb(-places),
                                                rounding=ROUND_HALF_EVEN)
        elif -min(number.normalize().as_tuple().exponent, 0) > places:
            raise ValidationError(
                f"Enter a whole number of {self.measure.unit}." if places == 0 else
                f"Enter at most {places} decimal{'s' if places > 1 else ''}.", code="precision")
        if not (self.measure.low <= number <= self.measure.high):
            raise ValidationError(
                f"Out of range: expected {self.measure.range_text}. Check the value and its "
                "unit.", code="range")
        return int(number) if places == 0 else number

    def validate(self, value):
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value):
        # Range and format are checked in to_python; the model checks digits.
        return None


def _formfield(model_field, **kwargs):
    """Model fields → form fields: dates as date inputs, required booleans as yes/no."""
    label = capfirst(model_field.verbose_name)
    if isinstance(model_field, models.DateField):
        return DateField(label=label, required=not model_field.blank)
    if isinstance(model_field, models.BooleanField) and not model_field.has_default():
        return YesNoField(label=label)
    if isinstance(model_field, models.IntegerField) and not model_field.choices:
        return IntegerField(label=label, required=not model_field.blank, min_value=0)
    return model_field.formfield(**kwargs)


class CrfForm(forms.ModelForm):
    """Base of every visit form: the record's fields; version and reason when correcting."""

    #: Model field name → Measure, for fields entered as measurements.
    measures: dict = {}

    def __init__(self, data=None, *, context, editing=False, initial=None):
        super().__init__(data, initial=initial)
        self.context = context
        self.editing = editing
        for name, measure in self.measures.items():
            if name in self.fields:
                model_field = self._meta.model._meta.get_field(name)
                self.fields[name] = MeasurementField(
                    measure, label=capfirst(model_field.verbose_name),
                    required=not model_field.blank,
                )
        audit = AuditedChangeForm.base_fields
        self.fields["version"] = forms.IntegerField(
            widget=forms.HiddenInput, min_value=1 if editing else 0, required=editing)
        if editing:
            self.fields["reason"] = copy.deepcopy(audit["reason"])

    clean_reason = AuditedChangeForm.clean_reason

    @classmethod
    def initial_from(cls, record):
        """The form's initial values for an existing record."""
        return {**model_to_dict(record, fields=cls._meta.fields), "version": record.version}

    @classmethod
    def shown_fields(cls):
        """The record's fields a read-only page lists."""
        return cls._meta.fields

    @classmethod
    def prefill(cls, query):
        """Initial values a link may propose (none unless the form says which)."""
        return {}

    def values(self):
        """The cleaned values of the record's fields, for the service."""
        return {name: self.cleaned_data[name] for name in self._meta.fields
                if name in self.fields and name in self.cleaned_data}


class PerformanceStatusForm(CrfForm):
    who_ps = TypedChoiceField(label="WHO performance status",
                              choices=PerformanceStatus.Score.choices, coerce=int,
                              widget=forms.RadioSelect)

    class Meta:
        model = PerformanceStatus
        fields = ["visit_date", "who_ps"]
        formfield_callback = _formfield


class VitalSignsForm(CrfForm):
    measures = {"weight_kg": WEIGHT, "height_cm": HEIGHT, "systolic_mmhg": SYSTOLIC,
                "diastolic_mmhg": DIASTOLIC, "heart_rate_per_min": HEART_RATE,
                "temperature_c": TEMPERATURE}

    class Meta:
        model = VitalSigns
        fields = ["weight_kg", "height_cm", "systolic_mmhg", "diastolic_mmhg",
                  "heart_rate_per_min", "temperature_c"]
        formfield_callback = _formfield

    def __init__(self, *args, context, **kwargs):
        super().__init__(*args, context=context, **kwargs)
        height = self.fields["height_cm"]
        height.required = context.is_baseline
        height.help_text = ("Measured at baseline." if context.is_baseline
                            else "Optional after baseline.")


class LabForm(CrfForm):
    """A lab panel: per analyte the value and the site's LLN and ULN, in the same unit."""

    def __init__(self, *args, context, **kwargs):
        super().__init__(*args, context=context, **kwargs)
        self.fields["sample_date"].label = "Sample date"
        for analyte in self._meta.model.ANALYTES:
            for suffix in ("", "_lln", "_uln"):
                field = self.fields[f"{analyte.name}{suffix}"]
                field.label = analyte.label + (f" {suffix[1:].upper()}" if suffix else "")
                # The page shows them in a table: each input carries its own label.
                field.widget.attrs["aria-label"] = field.label

    @classmethod
    def shown_fields(cls):
        # The values, limits and grades are in the lab table of the page.
        return [name for name in cls._meta.fields if name == "sample_date"
                or name not in cls.measures]

    def lab_rows(self):
        """(analyte, value, LLN, ULN) bound fields, for the table the page shows."""
        return [
            (analyte, self[analyte.name], self[f"{analyte.name}_lln"],
             self[f"{analyte.name}_uln"])
            for analyte in self._meta.model.ANALYTES
        ]


def _lab_field_names(model):
    fields = ["sample_date"]
    for analyte in model.ANALYTES:
        fields += [analyte.name, f"{analyte.name}_lln", f"{analyte.name}_uln"]
    return fields


def _lab_measures(model):
    measures = {}
    for analyte in model.ANALYTES:
        for suffix in ("", "_lln", "_uln"):
            measures[f"{analyte.name}{suffix}"] = analyte.measure
    return measures


HAEMOGLOBIN_FIELDS = ("haemoglobin", "haemoglobin_lln", "haemoglobin_uln")


class HaematologyForm(LabForm):
    measures = _lab_measures(Haematology)
    haemoglobin_unit = forms.ChoiceField(
        label="Haemoglobin unit", choices=Haematology.HaemoglobinUnit.choices,
        initial=Haematology.HaemoglobinUnit.G_DL, widget=forms.RadioSelect,
        help_text="As the laboratory reports it; values in g/L are stored in g/dL.",
    )

    class Meta:
        model = Haematology
        fields = [*_lab_field_names(Haematology), "haemoglobin_unit"]
        formfield_callback = _formfield

    def __init__(self, *args, context, **kwargs):
        super().__init__(*args, context=context, **kwargs)
        if self.is_bound:
            unit = self.data.get(self.add_prefix("haemoglobin_unit"))
            if unit in Haematology.HaemoglobinUnit.values:
                for name in HAEMOGLOBIN_FIELDS:
                    self.fields[name].default_unit = unit

    @classmethod
    def initial_from(cls, record):
        """Haemoglobin shown in the unit it was entered in."""
        initial = super().initial_from(record)
        if record.haemoglobin_unit == Haematology.HaemoglobinUnit.G_L:
            factor = HAEMOGLOBIN.accepted["g/L"]
            for name in HAEMOGLOBIN_FIELDS:
                if initial.get(name) is not None:
                    initial[name] = format((initial[name] / factor).normalize(), "f")
        return initial


class ChemistryForm(LabForm):
    measures = _lab_measures(Chemistry)

    class Meta:
        model = Chemistry
        fields = _lab_field_names(Chemistry)
        formfield_callback = _formfield


class DrugExposureForm(CrfForm):
    dose_level = forms.ChoiceField(label="Dose level")

    class Meta:
        model = DrugExposure
        fields = ["dose_level", "cycle_start_date", "days_taken", "interrupted",
                  "interruption_reason", "reduced", "reduction_reason", "endocrine_adherence",
                  "ovarian_suppression_adherence"]
        formfield_callback = _formfield
        widgets = {"endocrine_adherence": forms.RadioSelect,
                   "ovarian_suppression_adherence": forms.RadioSelect}

    def __init__(self, *args, context, **kwargs):
        super().__init__(*args, context=context, **kwargs)
        treatment = context.treatment
        name = treatment.cdk46i.name if treatment.cdk46i else "CDK4/6 inhibitor"
        level = self.fields["dose_level"]
        level.label = f"{name} dose level"
        level.choices = [("", "—")] + [
            (value, "Discontinued (below the lowest level)" if value == DISCONTINUED
             else f"{value} mg")
            for value in treatment.dose_levels
        ]
        drug = treatment.cdk46i
        self.max_days = (drug.max_days_on_per_cycle or drug.cycle_days
                         if drug and drug.cycle_days else CYCLE_DAYS)
        self.fields["days_taken"].help_text = (
            f"0 to {self.max_days}: the days the drug was taken this cycle"
            + (f" ({drug.regimen})." if drug and drug.regimen else "."))
        self.fields["days_taken"].widget.attrs["max"] = self.max_days
        for field in ("interruption_reason", "reduction_reason"):
            self.fields[field].help_text = "Only when the answer above is yes."
        if treatment.endocrine:
            self.fields["endocrine_adherence"].label = f"{treatment.endocrine.name} adherence"
        if treatment.ovarian_suppression is None:
            del self.fields["ovarian_suppression_adherence"]
        else:
            field = self.fields["ovarian_suppression_adherence"]
            field.required = True
            field.label = f"{treatment.ovarian_suppression.name} adherence"
        for name in ("endocrine_adherence", "ovarian_suppression_adherence"):
            if name in self.fields:
                self.fields[name].choices = [c for c in self.fields[name].choices if c[0]]


    def clean_days_taken(self):
        days = self.cleaned_data.get("days_taken")
        drug = self.context.treatment.cdk46i
        error = days_taken_error(days, drug) if drug else ""
        if error:
            raise ValidationError(error)
        return days


class SurvivalStatusForm(CrfForm):
    vital_status = TypedChoiceField(label="Vital status",
                                    choices=SurvivalStatus.VitalStatus.choices,
                                    widget=forms.RadioSelect)
    death_cause = TypedChoiceField(label="Cause of death", required=False,
                                   choices=[("", "—"), *SurvivalStatus.Cause.choices])

    class Meta:
        model = SurvivalStatus
        fields = ["last_contact_date", "vital_status", "death_date", "death_cause",
                  "death_cause_other"]
        formfield_callback = _formfield

    def __init__(self, *args, context, **kwargs):
        super().__init__(*args, context=context, **kwargs)
        self.fields["last_contact_date"].help_text = (
            "The last day the patient was known alive, or the contact that reported the death.")
        self.fields["death_date"].help_text = "Only when the patient died."
        self.fields["death_cause"].help_text = "Only when the patient died."
        self.fields["death_cause_other"].label = "Other cause (specify)"
        self.fields["death_cause_other"].help_text = "Only when the cause is “other”."


class TermInput(forms.TextInput):
    """A text input bound to the list of CTCAE terms (the browser searches it as you type)."""

    def __init__(self):
        super().__init__(attrs={"list": "ae-terms", "autocomplete": "off", "size": 40})


class AdverseEventForm(CrfForm):
    term = forms.CharField(
        label="CTCAE term", max_length=200, widget=TermInput(),
        help_text="Type to search the CTCAE v5 terms; another term may be typed in full.",
    )
    grade = TypedChoiceField(label="CTCAE grade", choices=[(g, str(g)) for g in range(1, 6)],
                             coerce=int, widget=forms.RadioSelect)

    class Meta:
        model = AdverseEvent
        fields = ["term", "grade", "start_date", "end_date", "serious",
                  *(name for name, _ in SAE_CRITERIA), "relation_cdk46i", "relation_endocrine",
                  "relation_ovarian_suppression", "action_taken", "outcome"]
        formfield_callback = _formfield

    def __init__(self, *args, context, **kwargs):
        super().__init__(*args, context=context, **kwargs)
        treatment = context.treatment
        self.fields["end_date"].help_text = "Empty while the event is ongoing."
        self.fields["serious"].help_text = "If yes, tick every criterion that applies."
        if treatment.cdk46i is not None:
            self.fields["action_taken"].label = f"Action taken with {treatment.cdk46i.name}"
        for name, drug in (("relation_cdk46i", treatment.cdk46i),
                           ("relation_endocrine", treatment.endocrine),
                           ("relation_ovarian_suppression", treatment.ovarian_suppression)):
            if drug is not None:
                self.fields[name].label = f"Relation to {drug.name}"
        if treatment.ovarian_suppression is None:
            del self.fields["relation_ovarian_suppression"]
        else:
            self.fields["relation_ovarian_suppression"].required = True

    @classmethod
    def prefill(cls, query):
        """Term, grade and start date proposed by a link (a lab value's grade, for instance)."""
        initial = {}
        term = query.get("term", "")
        if term and len(term) <= 200 and "\x00" not in term:
            initial["term"] = term
        if query.get("grade") in {"1", "2", "3", "4", "5"}:
            initial["grade"] = int(query["grade"])
        try:
            initial["start_date"] = date.fromisoformat(query.get("start_date", ""))
        except ValueError:
            pass
        return initial

    def clean_term(self):
        term = " ".join(self.cleaned_data["term"].split())
        if not term:
            raise ValidationError("Enter the CTCAE term.")
        # A listed term typed in another case is stored as the list spells it.
        listed = {t.casefold(): t for t in AE_TERMS}
        return listed.get(term.casefold(), term)


class ConcomitantMedicationForm(CrfForm):
    class Meta:
        model = ConcomitantMedication
        fields = ["name", "indication", "start_date", "stop_date", "ongoing"]
        formfield_callback = _formfield

    def __init__(self, *args, context, **kwargs):
        super().__init__(*args, context=context, **kwargs)
        self.fields["stop_date"].help_text = "Give the stop date, or tick ongoing."


class MissedForm(AuditedChangeForm):
    """Report a visit missed: the reason is required and goes to the trail."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Why was the visit missed?"
        self.fields["reason"].help_text = "Stored in the visit's audit trail with your name."


class VoidForm(AuditedChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Reason for voiding"
        self.fields["reason"].help_text = (
            "Required. The entry stays visible, marked voided, with its history.")


#: Form code → page form.
FORMS = {
    form._meta.model.FORM_CODE: form
    for form in (PerformanceStatusForm, VitalSignsForm, HaematologyForm, ChemistryForm,
                 DrugExposureForm, SurvivalStatusForm, AdverseEventForm,
                 ConcomitantMedicationForm)
}
