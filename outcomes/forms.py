"""Forms of the tumour baseline and of a follow-up tumour assessment."""

from decimal import Decimal, InvalidOperation

from django import forms

from outcomes.domain import recist
from outcomes.models import Method, NewLesionsChoice, NonTargetStatusChoice, ResponseChoice
from trialsite.forms import AuditedChangeForm, DateInput

TARGET_ROWS = 6  # one more than RECIST allows, so "too many targets" is said, not hidden
NONTARGET_ROWS = 5


class BaselineForm(forms.Form):
    date = forms.DateField(label="Baseline imaging date", widget=DateInput())
    method = forms.ChoiceField(choices=Method.choices, initial=Method.CT)


class TargetRowForm(forms.Form):
    lesion_id = forms.CharField(label="Lesion", max_length=8, required=False)
    organ = forms.CharField(max_length=100, required=False)
    nodal = forms.BooleanField(required=False)
    diameter_mm = forms.DecimalField(label="Diameter (mm)", max_digits=5, decimal_places=1,
                                     required=False)

    def row(self):
        data = self.cleaned_data
        if not any([data.get("organ"), data.get("diameter_mm") is not None]):
            return None
        return data


class NonTargetRowForm(forms.Form):
    lesion_id = forms.CharField(label="Lesion", max_length=8, required=False)
    organ = forms.CharField(max_length=100, required=False)
    nodal = forms.BooleanField(required=False)

    def row(self):
        data = self.cleaned_data
        return data if data.get("organ") else None


TargetFormSet = forms.formset_factory(TargetRowForm, extra=TARGET_ROWS, max_num=TARGET_ROWS)
NonTargetFormSet = forms.formset_factory(NonTargetRowForm, extra=NONTARGET_ROWS,
                                         max_num=NONTARGET_ROWS)


def baseline_initial(prefix, count):
    return [{"lesion_id": f"{prefix}{i + 1}"} for i in range(count)]


def _measurement(raw):
    raw = (raw or "").strip()
    if not raw:
        return None
    if raw.upper() == recist.TSTM:
        return recist.TSTM
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise forms.ValidationError(
            "Give millimetres, TSTM, or leave empty (not evaluated).") from None
    if not value.is_finite() or value.as_tuple().exponent < -1 or abs(value) >= 10000:
        raise forms.ValidationError("Give millimetres with at most one decimal.")
    return value


class AssessmentForm(forms.Form):
    """A follow-up: one field per baseline lesion, new lesions, the investigator's response.

    With ``reported=True`` the form also offers an overall response assessed elsewhere (real-
    world records), given instead of the readings.
    """

    date = forms.DateField(label="Assessment date", widget=DateInput())
    new_lesions = forms.ChoiceField(label="New lesions", required=False,
                                    choices=[("", "—"), *NewLesionsChoice.choices])
    new_lesion_site = forms.CharField(label="Site of new lesions", max_length=200,
                                      required=False)
    investigator_response = forms.ChoiceField(
        label="Investigator's overall response", required=False,
        choices=[("", "— not given —"), *ResponseChoice.choices],
        help_text="Optional: a response that differs from the computed one is flagged.",
    )
    reported_response = forms.ChoiceField(
        label="Or: overall response reported from elsewhere", required=False,
        choices=[("", "— readings entered above —"), *ResponseChoice.choices],
        help_text="Only when no lesion readings are available (e.g. a radiology report): the "
                  "response is used as given.",
    )

    def __init__(self, *args, lesions, reported=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not reported:
            del self.fields["reported_response"]
        self.targets = lesions["targets"]
        self.nontargets = lesions["nontargets"]
        for lesion in self.targets:
            self.fields[f"target_{lesion.lesion_id}"] = forms.CharField(
                label=f"{lesion.lesion_id} {lesion.organ}{' (node)' if lesion.nodal else ''}",
                required=False, max_length=12,
                help_text=f"mm (baseline {lesion.diameter_mm}), TSTM, or empty if not evaluated",
            )
        for lesion in self.nontargets:
            self.fields[f"nontarget_{lesion.lesion_id}"] = forms.ChoiceField(
                label=f"{lesion.lesion_id} {lesion.organ}", required=False,
                choices=[("", "—"), *NonTargetStatusChoice.choices])

    def clean(self):
        data = super().clean()
        reported = data.get("reported_response")
        for lesion in self.targets:
            name = f"target_{lesion.lesion_id}"
            try:
                data[name] = _measurement(self.data.get(self.add_prefix(name)))
            except forms.ValidationError as error:
                self.add_error(name, error)
        if reported:
            given = [n for n in self.fields if n.startswith(("target_", "nontarget_"))
                     and data.get(n) not in (None, "")]
            for name in given:
                self.add_error(name, "Leave the readings empty when the response is reported "
                                     "from elsewhere.")
            return data
        for lesion in self.nontargets:
            name = f"nontarget_{lesion.lesion_id}"
            if not data.get(name) and name not in self.errors:
                self.add_error(name, "Give this lesion's status (NE if not evaluated).")
        if not data.get("new_lesions") and "new_lesions" not in self.errors:
            self.add_error("new_lesions", "Say whether there are new lesions.")
        return data

    def measurements(self):
        return {t.lesion_id: self.cleaned_data.get(f"target_{t.lesion_id}")
                for t in self.targets}

    def statuses(self):
        return {n.lesion_id: self.cleaned_data[f"nontarget_{n.lesion_id}"]
                for n in self.nontargets if self.cleaned_data.get(f"nontarget_{n.lesion_id}")}


class AssessmentCorrectionForm(AssessmentForm, AuditedChangeForm):
    """Correct a recorded follow-up: the same readings (or the reported response), the version
    it was loaded at and the reason. The date stays: void and re-enter to change it."""

    def __init__(self, *args, assessment, **kwargs):
        super().__init__(*args, reported=assessment.is_reported, **kwargs)
        del self.fields["date"]
        if assessment.is_reported:
            for name in [n for n in self.fields
                         if n.startswith(("target_", "nontarget_", "new_lesion"))]:
                del self.fields[name]
            self.targets, self.nontargets = [], []
            self.fields["reported_response"].required = True
            self.fields["reported_response"].label = "Overall response reported from elsewhere"
        self.fields["reason"] = self.fields.pop("reason")  # asked last, after the readings

    def clean(self):
        if "reported_response" in self.fields:
            return forms.Form.clean(self)
        return super().clean()


def correction_initial(assessment):
    """The correction form's starting values: what is recorded now."""
    initial = {"version": assessment.version, "new_lesions": assessment.new_lesions,
               "new_lesion_site": assessment.new_lesion_site,
               "investigator_response": assessment.investigator_response,
               "reported_response": assessment.reported_response}
    for m in assessment.measurements.all():
        initial[f"target_{m.lesion.lesion_id}"] = (
            m.diameter_mm if m.state == m.State.MEASURED
            else recist.TSTM if m.state == m.State.TSTM else "")
    for s in assessment.statuses.all():
        initial[f"nontarget_{s.lesion.lesion_id}"] = s.status
    return initial


class VoidForm(AuditedChangeForm):
    """Void a record with a reason (it stays in the audit trail)."""

    reason = forms.CharField(label="Reason for voiding", max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))
