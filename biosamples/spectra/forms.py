from django import forms
from django.core.exceptions import ValidationError

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class SpectraUploadForm(forms.Form):
    file = forms.FileField(label="Batch of spectra (zip)",
                           help_text="manifest.csv (file, aliquot_label, technique, instrument, "
                                     "acquired_at, replicate) and the JCAMP-DX or CSV files")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError("The zip is larger than 200 MB: split the batch.")
        return upload.name, upload.read()


class AnalysisForm(forms.Form):
    age_stratified = forms.BooleanField(
        label="Stratify the folds by the protocol's age groups", required=False)
