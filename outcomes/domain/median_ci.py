"""Confidence limits of the median survival time by the method of Simon and Lee (pure).

Reference: Simon R, Lee YJ. Nonparametric confidence limits for survival probabilities and
median survival time. Cancer Treat Rep 1982;66(1):37-42.

The paper's construction: the product-limit (Kaplan-Meier) estimate S(t) gets, at every
time, symmetric confidence limits from Greenwood's variance, kept inside [0, 1],

    S(t) +/- z se(t),   se(t)^2 = S(t)^2 * sum over event times t_i <= t of d_i/(n_i (n_i - d_i)),

and the confidence limits of the median are read off these two limit curves where they reach
one half, as the median itself is read off S(t):

    median      = the earliest time with S(t) <= 0.5,
    lower limit = the earliest time with the lower curve S(t) - z se(t) <= 0.5,
    upper limit = the earliest time with the upper curve S(t) + z se(t) <= 0.5.

A limit whose curve never reaches one half is "not reached" (None): with the last patients
still event-free, the upper limit of a median often is, and the page must say so rather than
repeat the median. Only the times of events move the curves, so only they can be limits.
``z`` is the standard normal quantile of the two-sided level (1.96 for 95 %).
"""

from dataclasses import dataclass
from math import sqrt
from statistics import NormalDist

HALF = 0.5


@dataclass(frozen=True)
class LimitStep:
    """The estimate and its Greenwood limits just after an event time."""

    time: float
    at_risk: int
    events: int
    survival: float
    std_error: float
    lower: float
    upper: float


@dataclass(frozen=True)
class MedianInterval:
    """The median survival time and its limits; None where not reached."""

    median: float | None
    lower: float | None
    upper: float | None
    level: float


def _check(durations, events, level):
    durations = [float(d) for d in durations]
    events = [bool(e) for e in events]
    if len(durations) != len(events):
        raise ValueError("durations and events differ in length")
    if any(d < 0 for d in durations):
        raise ValueError("durations cannot be negative")
    if not 0 < level < 1:
        raise ValueError(f"the level must be between 0 and 1, got {level}")
    return durations, events


def greenwood_limits(durations, events, *, level=0.95):
    """Return a ``LimitStep`` per distinct event time: S(t), Greenwood's se and the limits.

    A subject censored at the time of an event is still at risk at that time (the usual
    convention: censoring is taken to happen just after the events of its day).
    """
    durations, events = _check(durations, events, level)
    z = NormalDist().inv_cdf(1 - (1 - level) / 2)
    survival, greenwood_sum = 1.0, 0.0
    steps = []
    for time in sorted({d for d, e in zip(durations, events, strict=True) if e}):
        at_risk = sum(1 for d in durations if d >= time)
        died = sum(1 for d, e in zip(durations, events, strict=True) if e and d == time)
        survival *= (at_risk - died) / at_risk
        if died == at_risk:
            # Everyone still at risk has the event: Greenwood's term d/(n(n - d)) is infinite.
            # S(t) = 0 then rests on those last patients alone (often one), and the formula
            # gives no bound: the limits are the whole [0, 1], so the upper curve does not
            # reach one half here. Claiming it did would turn one patient's event into a
            # certain upper limit (a median of 506 days "506-506").
            std_error = float("inf")
            lower, upper = 0.0, 1.0
        else:
            greenwood_sum += died / (at_risk * (at_risk - died))
            std_error = survival * sqrt(greenwood_sum)
            lower = max(0.0, survival - z * std_error)
            upper = min(1.0, survival + z * std_error)
        steps.append(LimitStep(time=time, at_risk=at_risk, events=died, survival=survival,
                               std_error=std_error, lower=lower, upper=upper))
    return tuple(steps)


def _first_at_or_below_half(steps, attribute):
    return next((s.time for s in steps if getattr(s, attribute) <= HALF), None)


def simon_lee_median(durations, events, *, level=0.95):
    """Return the median survival time with its Simon-Lee confidence limits (``level``
    two-sided), each None when not reached."""
    steps = greenwood_limits(durations, events, level=level)
    return MedianInterval(
        median=_first_at_or_below_half(steps, "survival"),
        lower=_first_at_or_below_half(steps, "lower"),
        upper=_first_at_or_below_half(steps, "upper"),
        level=level,
    )
