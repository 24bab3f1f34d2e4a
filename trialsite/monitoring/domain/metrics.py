"""Pure helpers of the operations dashboard: cumulative series and age buckets."""

from __future__ import annotations

#: Open-query age buckets, in days (inclusive upper bounds; the last is open-ended).
AGE_BUCKETS = ((7, "0–7 days"), (30, "8–30 days"), (90, "31–90 days"), (None, "over 90 days"))


def cumulative(dates):
    """``[(date, n enrolled by that date)]`` for each distinct date, in order."""
    out, total = [], 0
    for day in sorted(dates):
        total += 1
        if out and out[-1][0] == day:
            out[-1] = (day, total)
        else:
            out.append((day, total))
    return out


def age_bucket(days):
    for limit, label in AGE_BUCKETS:
        if limit is None or days <= limit:
            return label
    raise AssertionError("unreachable")


def ages_by_bucket(ages):
    counts = {label: 0 for _, label in AGE_BUCKETS}
    for days in ages:
        counts[age_bucket(days)] += 1
    return counts


def percent(part, whole):
    return round(100 * part / whole) if whole else 0


