import django_filters


class UpdatedSinceFilterSet(django_filters.FilterSet):
    """``updated_since`` for incremental pulls: rows created, changed or voided since then."""

    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
