from django import template

register = template.Library()


@register.filter
def minutes(value):
    """A timedelta as whole minutes, for messages such as lockout times."""
    try:
        return int(value.total_seconds() // 60)
    except AttributeError:
        return ""


@register.simple_tag
def submit_once():
    """A create form's one-time token: a double submission creates one record."""
    from django.utils.html import format_html

    from trialsite.submit_once import FIELD, new_token

    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
