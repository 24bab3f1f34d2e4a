"""``{% query_markers record as qm %}``: a record's live queries, for markers on its form."""

from django import template

register = template.Library()


@register.simple_tag
def query_markers(record):
    from trialsite.monitoring.selectors import query_markers as markers

    return markers(record)
