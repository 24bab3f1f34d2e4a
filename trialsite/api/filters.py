from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time read as the instant it names, in UTC.

    PostgreSQL refuses UTC offsets beyond ±15:59 and years outside 1..9999, which ISO 8601
    (and Python) allow: the value is turned into UTC here, so such input is a clear error on
    the field instead of a database error.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(
                "This date-time is out of range once converted to UTC.") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class UpdatedSinceFilterSet(django_filters.FilterSet):
    """``updated_since`` for incremental pulls: rows created, changed or voided since then."""

    updated_since = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
