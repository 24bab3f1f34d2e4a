"""Dosing rules of a cycle: how many days of it a drug may be taken (pure: no ORM, no clock).

The regimen is protocol data (``trialsite.protocols.base.Drug``): palbociclib is taken 21 days of
each 28-day cycle ("3 weeks on, 1 week off"), so a record of 22 to 28 days taken is refused
rather than stored as an impossible exposure.
"""

from __future__ import annotations


def days_taken_error(days_taken, drug):
    """Return why ``days_taken`` in one cycle breaks ``drug``'s regimen, or "" when it does not.

    A drug that declares no cycle (``cycle_days == 0``) is not checked.
    """
    if days_taken is None or not drug.cycle_days:
        return ""
    if days_taken < 0:
        return "Days taken cannot be negative."
    limit = drug.max_days_on_per_cycle or drug.cycle_days
    if days_taken > limit:
        if limit < drug.cycle_days:
            return (
                f"{drug.name} is taken at most {limit} days of each {drug.cycle_days}-day cycle "
                f"({drug.regimen or 'the protocol regimen'}): enter 0 to {limit}."
            )
        return f"A {drug.cycle_days}-day cycle has {limit} days: enter 0 to {limit}."
    return ""
