"""Reads for visit pages and the API."""

import calendar
from datetime import date, timedelta

from visits.models import Visit


def patient_visits(patient):
    """The patient's visits in schedule order, read once per patient object: the casebook's
    panels (visits, samples) share one query."""
    cached = patient.__dict__.get("_schedule_visits")
    if cached is None:
        cached = list(Visit.objects.filter(patient=patient).order_by("target_date", "code"))
        patient.__dict__["_schedule_visits"] = cached
    return cached


def home_visits(*, user, sites, today):
    """This week's work at the user's sites: open windows, due soon, overdue (three queries)."""
    base = Visit.objects.visible_to(user).filter(
        patient__site__in=sites, patient__voided_at__isnull=True
    ).select_related("patient").order_by("window_end", "patient__subject_id")
    return {
        "open": list(base.open_on(today)[:50]),
        "soon": list(base.opening_within(today, 7)[:50]),
        "overdue": list(base.overdue(on=today).filter(overdue_since__isnull=False)[:50]),
    }


def month_calendar(*, site, year, month):
    """Weeks of the month, each day with the visits whose target date it is (one query)."""
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    visits = Visit.objects.filter(
        patient__site=site, patient__voided_at__isnull=True, target_date__range=(first, last)
    ).exclude(status=Visit.Status.CANCELLED).select_related("patient").order_by(
        "target_date", "patient__subject_id")
    by_day = {}
    for visit in visits:
        by_day.setdefault(visit.target_date, []).append(visit)
    weeks = []
    start = first - timedelta(days=first.weekday())
    day = start
    while day <= last or day.weekday() != 0:
        if day.weekday() == 0:
            weeks.append([])
        weeks[-1].append((day, day.month == month, by_day.get(day, [])))
        day += timedelta(days=1)
    return weeks, len(visits)
