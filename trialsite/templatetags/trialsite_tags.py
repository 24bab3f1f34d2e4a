from django import template

register = template.Library()


@register.filter
def minutes(value):
    """A timedelta as whole minutes, for messages such as lockout times."""
    try:
        return int(value.total_seconds() // 60)
    except AttributeError:
        return ""
