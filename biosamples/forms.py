"""Forms of the sample pages. Times are entered in the site's local time (the views activate it)."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from biosamples.domain.labels import parse_position
from biosamples.domain.lifecycle import ArrivalCondition, Receipt
from biosamples.models import Sample

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def local_datetime(label, **kwargs):
    return forms.DateTimeField(label=label, widget=LocalDateTimeInput(),
                               input_formats=DATETIME_FORMATS,
                               help_text="Local time at the site.", **kwargs)


def _clean_text(value):
    if "\x00" in value:
        raise ValidationError("The text contains a NUL character.")
    return value.strip()


class DrawForm(forms.Form):
    drawn_at = local_datetime("Drawn at")
    tube_type = forms.CharField(label="Tube type", max_length=60)
    drawn_by = forms.CharField(label="Drawn by", max_length=120,
                               help_text="Name of the nurse or phlebotomist.")

    def clean_tube_type(self):
        return _clean_text(self.cleaned_data["tube_type"])

    def clean_drawn_by(self):
        return _clean_text(self.cleaned_data["drawn_by"])


class NotCollectedForm(forms.Form):
    reason = forms.CharField(label="Why was it not collected?", max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def clean_reason(self):
        return _clean_text(self.cleaned_data["reason"])


class ProcessForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    centrifuge_started_at = local_datetime("Centrifugation started")
    haemolysis = forms.ChoiceField(label="Haemolysis", choices=Sample.Haemolysis.choices,
                                   widget=forms.RadioSelect)
    aliquot_count = forms.IntegerField(label="Number of aliquots", min_value=1, max_value=12)
    aliquot_volume_ml = forms.DecimalField(label="Volume per aliquot (mL)", min_value=Decimal(
        "0.05"), max_value=Decimal("10"), max_digits=5, decimal_places=2)
    frozen_at = local_datetime("Frozen at (−80 °C)")

    def clean(self):
        data = super().clean()
        start, frozen = data.get("centrifuge_started_at"), data.get("frozen_at")
        if start and frozen and frozen < start:
            self.add_error("frozen_at", "The aliquots cannot be frozen before centrifugation.")
        return data


class SampleCorrectionForm(forms.Form):
    """Correct a recorded draw and, once the sample is processed, its processing times."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    drawn_at = local_datetime("Drawn at")
    tube_type = forms.CharField(label="Tube type", max_length=60)
    drawn_by = forms.CharField(label="Drawn by", max_length=120)
    centrifuge_started_at = local_datetime("Centrifugation started")
    haemolysis = forms.ChoiceField(label="Haemolysis", choices=Sample.Haemolysis.choices,
                                   widget=forms.RadioSelect)
    frozen_at = local_datetime("Frozen at (−80 °C)")
    reason = forms.CharField(label="Reason for the correction", max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Kept in the audit trail and the chain of custody.")

    PROCESSING = ("centrifuge_started_at", "haemolysis", "frozen_at")

    def __init__(self, *args, processed, **kwargs):
        super().__init__(*args, **kwargs)
        if not processed:
            for name in self.PROCESSING:
                del self.fields[name]

    @classmethod
    def initial_for(cls, sample):
        names = ("drawn_at", "tube_type", "drawn_by", *cls.PROCESSING)
        return {"version": sample.version, **{n: getattr(sample, n) for n in names}}

    def clean_tube_type(self):
        return _clean_text(self.cleaned_data["tube_type"])

    def clean_drawn_by(self):
        return _clean_text(self.cleaned_data["drawn_by"])

    def clean_reason(self):
        return _clean_text(self.cleaned_data["reason"])

    def values(self):
        """The corrected values, for ``services.sample_correct``."""
        return {n: v for n, v in self.cleaned_data.items() if n not in ("version", "reason")}


class DiscardForm(forms.Form):
    aliquot = forms.CharField(label="Aliquot", max_length=60)
    reason = forms.CharField(label="Why is it discarded?", max_length=1000)

    def clean_aliquot(self):
        return _clean_text(self.cleaned_data["aliquot"])

    def clean_reason(self):
        return _clean_text(self.cleaned_data["reason"])


class BoxForm(forms.Form):
    freezer = forms.CharField(label="Freezer", max_length=60)
    rack = forms.CharField(label="Rack", max_length=60)
    box = forms.CharField(label="Box", max_length=60)

    def clean(self):
        data = super().clean()
        for name in ("freezer", "rack", "box"):
            if name in data:
                data[name] = _clean_text(data[name])
        return data


class StoreForm(forms.Form):
    label = forms.CharField(label="Aliquot label", max_length=60,
                            help_text="Scan the barcode or type the label.")
    position = forms.CharField(label="Position", max_length=4, help_text="e.g. A1")

    def __init__(self, *args, box, **kwargs):
        super().__init__(*args, **kwargs)
        self.box = box

    def clean_label(self):
        return _clean_text(self.cleaned_data["label"])

    def clean_position(self):
        try:
            return parse_position(self.cleaned_data["position"], rows=self.box.rows,
                                  columns=self.box.columns)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class ShipmentForm(forms.Form):
    destination_lab = forms.ChoiceField(label="Destination laboratory")

    def __init__(self, *args, labs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["destination_lab"].choices = [(lab.code, lab.name) for lab in labs]


class ShipForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    shipped_at = local_datetime("Shipped at")
    courier = forms.CharField(max_length=100)
    tracking_number = forms.CharField(label="Tracking number", max_length=100)
    dry_ice = forms.BooleanField(label="Packed on dry ice", required=False)

    def clean_courier(self):
        return _clean_text(self.cleaned_data["courier"])

    def clean_tracking_number(self):
        return _clean_text(self.cleaned_data["tracking_number"])


class ReceiveForm(forms.Form):
    """Receipt: the arrival condition and one choice per aliquot (fields ``receipt_<label>``)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    received_at = local_datetime("Received at")
    arrival_condition = forms.ChoiceField(
        label="Arrival condition", widget=forms.RadioSelect,
        choices=[(c.value, c.value.replace("_", " ").capitalize()) for c in ArrivalCondition])

    def __init__(self, *args, labels, **kwargs):
        super().__init__(*args, **kwargs)
        self.labels = labels
        for label in labels:
            self.fields[f"receipt_{label}"] = forms.ChoiceField(
                label=label, widget=forms.RadioSelect, initial=Receipt.RECEIVED.value,
                choices=[(r.value, r.value.capitalize()) for r in Receipt])

    def receipts(self):
        return {label: self.cleaned_data[f"receipt_{label}"] for label in self.labels}

    def receipt_fields(self):
        return [self[f"receipt_{label}"] for label in self.labels]


class ResultsUploadForm(forms.Form):
    file = forms.FileField(label="Results manifest (CSV)",
                           help_text="Columns: aliquot_label, measured_at, instrument, "
                                     "result_file, qc_status")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise ValidationError("The file is larger than 5 MB.")
        try:
            return upload.name, upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("The file is not UTF-8 text.") from None


class SplitForm(forms.Form):
    aliquot = forms.CharField(label="Aliquot to split", max_length=60)
    count = forms.IntegerField(label="Number of child aliquots", min_value=2, max_value=12,
                               initial=2)
    volume_ml = forms.DecimalField(label="Volume per child (mL)", min_value=Decimal("0.01"),
                                   max_value=Decimal("10"), max_digits=5, decimal_places=2)

    def clean_aliquot(self):
        return _clean_text(self.cleaned_data["aliquot"])
