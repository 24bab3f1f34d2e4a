"""Who was at risk of what, and when: line-1 exposure windows and delayed study entry.

Pure (no ORM, no clock): dates in, days and windows out.

* Severe toxicity per CDK4/6 inhibitor compares drugs, so an adverse event counts for a drug only
  when its onset falls in the line-1 exposure: from the line's start to its stop plus
  ``LINE_EXPOSURE_GRACE_DAYS`` (the usual treatment-emergent window of 30 days after the last
  dose), both days included. Toxicities of later lines (chemotherapy after progression) and
  conditions that began before the line are not the CDK4/6 inhibitor's.
* Overall survival is measured from the CDK4/6 inhibitor start, but a patient who consented a
  year after that start could not have been observed dying in that year: counting them at risk
  from day 0 would flatter the curve (immortal time). Each patient therefore enters the risk set
  at study entry (consent), later than the origin when the start was retrospective: left
  truncation, as lifelines' ``entry`` takes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

#: Days after the end of line 1 during which an adverse event still counts as line-1 toxicity.
LINE_EXPOSURE_GRACE_DAYS = 30


@dataclass(frozen=True)
class ExposureWindow:
    """Days of exposure to a line, both ends included; ``end`` None while the line goes on."""

    start: date
    end: date | None

    def contains(self, day):
        """Whether an event dated ``day`` happened during the exposure."""
        if day is None or day < self.start:
            return False
        return self.end is None or day <= self.end


def line_exposure(start, stop, *, grace_days=LINE_EXPOSURE_GRACE_DAYS):
    """The exposure window of a line from ``start`` to ``stop`` (None: ongoing) plus grace."""
    if stop is not None and stop < start:
        raise ValueError(f"the line stops ({stop}) before it starts ({start})")
    return ExposureWindow(start, None if stop is None else stop + timedelta(days=grace_days))


def severe_during(onsets, window):
    """Whether any of the severe events' ``onsets`` falls in the exposure ``window``."""
    return any(window.contains(onset) for onset in onsets)


def delayed_entry_days(origin, study_entry, duration_days, event):
    """Days from ``origin`` (the CDK4/6 inhibitor start) to the patient's entry into the risk set.

    The entry is the study entry (consent) when it is after the origin, else 0. It cannot be
    after the end of follow-up: a patient censored on the day they entered contributes no time
    (entry = duration), and one who died on the day of consent was at risk that day, since
    consent came first (entry half a day before the death, so lifelines' ``entry < t`` risk set
    holds them).
    """
    entry = max(0, (study_entry - origin).days) if study_entry is not None else 0
    if entry < duration_days:
        return entry
    return duration_days - 0.5 if event and duration_days > 0 else duration_days
