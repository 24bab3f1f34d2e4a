"""Form pieces every audited form shares: the version it was loaded at and the reason."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from trialsite.audit import StaleVersion


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class AuditedChangeForm(forms.Form):
    """Carries the record version and demands a reason for change."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label="Reason for change",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required: it is stored in the audit trail with your name and the time.",
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if "\x00" in reason:
            raise ValidationError("The reason contains a NUL character.")
        if not reason:
            raise ValidationError("A reason for change is required.")
        return reason


def apply_service(form, call):
    """Run a service call for a valid form; put its refusals on the form's fields.

    Returns ``(result, conflict)``: on a stale version the form is re-bound with the user's
    values and the current version, so the user can review and apply the change again.
    """
    try:
        return call(), None
    except IntegrityError:
        # Two submissions raced and the database kept one (a unique constraint): say so at the
        # form instead of failing with a server error; nothing was saved twice.
        form.add_error(None, "This record was just saved by another submission (a double "
                             "click?). Nothing was saved twice: reload the page to see it.")
        return None, None
    except StaleVersion as conflict:
        data = form.data.copy()
        data[form.add_prefix("version")] = str(conflict.instance.version)
        form.data = data
        # The conflict panel above the form shows who changed what; no second message needed.
        return None, conflict
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                target = field if field in form.fields else None
                for error in errors:
                    form.add_error(target, error)
        else:
            form.add_error(None, exc)
        return None, None
