"""Summary statistics of efficacy endpoints (pure: no ORM, no settings, no clock).

Exact (Clopper–Pearson) confidence intervals for proportions, and Kaplan–Meier estimates with
the numbers at risk and the median with its confidence interval, computed by ``lifelines``.
"""

import math
from dataclasses import dataclass

from scipy.stats import beta

from outcomes.domain.median_ci import simon_lee_median
from trialsite.protocols.base import MedianCiMethod, Sidedness


@dataclass(frozen=True)
class Proportion:
    """``count`` of ``total`` with its exact two-sided confidence interval (fractions 0–1)."""

    count: int
    total: int
    lower: float | None
    upper: float | None
    level: float = 0.95

    @property
    def estimate(self):
        return self.count / self.total if self.total else None

    def __str__(self):
        """``n/N (x %, 95 % CI a–b %)``, or ``0/0`` when there is no one to count."""
        if not self.total:
            return f"{self.count}/{self.total}"
        level = f"{self.level * 100:g}"
        return (f"{self.count}/{self.total} ({self.estimate * 100:.1f} %, {level} % CI "
                f"{self.lower * 100:.1f}–{self.upper * 100:.1f} %)")


def clopper_pearson(count, total, level=0.95):
    """The exact binomial confidence interval of ``count`` successes in ``total`` trials."""
    if isinstance(count, bool) or isinstance(total, bool):
        raise TypeError("count and total must be whole numbers")
    count, total = int(count), int(total)
    if total < 0 or count < 0 or count > total:
        raise ValueError(f"need 0 <= count <= total, got {count}/{total}")
    if not 0 < level < 1:
        raise ValueError(f"the level must be between 0 and 1, got {level}")
    if total == 0:
        return Proportion(count, total, None, None, level)
    alpha = 1 - level
    lower = 0.0 if count == 0 else float(beta.ppf(alpha / 2, count, total - count + 1))
    upper = 1.0 if count == total else float(beta.ppf(1 - alpha / 2, count + 1, total - count))
    return Proportion(count, total, lower, upper, level)


@dataclass(frozen=True)
class KaplanMeier:
    """A product-limit estimate.

    ``steps``: ``(time, survival)`` from ``(0, 1.0)``, one per distinct time, to draw as a step
    function; ``censored``: ``(time, survival)`` of each censored observation (the ticks);
    ``at_risk``: ``(time, number at risk)`` at the requested times; ``median``, ``median_lower``
    and ``median_upper`` are None when not reached (the upper bound often is not).
    """

    steps: tuple
    censored: tuple
    at_risk: tuple
    median: float | None
    median_lower: float | None
    median_upper: float | None
    subjects: int
    events: int
    level: float = 0.95
    median_method: str = MedianCiMethod.LOG_LOG

    def survival_at(self, time):
        """The estimated survival just after ``time`` (right-continuous)."""
        value = 1.0
        for when, survival in self.steps:
            if when > time:
                break
            value = survival
        return value


def _finite(value):
    value = float(value)
    return value if math.isfinite(value) else None


def kaplan_meier(durations, events, *, at_risk_times=(), level=0.95,
                 median_ci=MedianCiMethod.LOG_LOG, entry=None):
    """Fit Kaplan–Meier to ``durations`` (days) and ``events`` (True: event, False: censored).

    The median's confidence interval is computed by ``median_ci``: Simon and Lee's limits
    (``outcomes.domain.median_ci``) or lifelines' log(−log) limits.

    ``entry``, if given, is each subject's delayed entry (days from the same origin): a subject
    is at risk only after it (left truncation, as lifelines' ``entry``); the numbers at risk
    shown count the subjects under observation at ``t`` (``entry <= t <= duration``). Simon and
    Lee's limits are defined here for subjects at risk from the origin only: asked for with
    delayed entries, they are refused rather than computed on the wrong risk sets.
    Returns a ``KaplanMeier``, or None without subjects.
    """
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    durations = [float(d) for d in durations]
    events = [bool(e) for e in events]
    if len(durations) != len(events):
        raise ValueError("durations and events differ in length")
    if not durations:
        return None
    if any(d < 0 for d in durations):
        raise ValueError("durations cannot be negative")
    entries = None
    if entry is not None:
        entries = [float(e) for e in entry]
        if len(entries) != len(durations):
            raise ValueError("entry and durations differ in length")
        if any(e < 0 or e > d for e, d in zip(entries, durations, strict=True)):
            raise ValueError("each entry must be from 0 to its duration")
    kmf = KaplanMeierFitter(alpha=1 - level)
    kmf.fit(durations, event_observed=events, entry=entries)
    curve = kmf.survival_function_.iloc[:, 0]
    steps = [(float(t), float(s)) for t, s in curve.items()]
    if not steps or steps[0][0] != 0.0:
        steps.insert(0, (0.0, 1.0))
    survival = dict(steps)

    def at(time):
        value = 1.0
        for when, s in steps:
            if when > time:
                break
            value = s
        return value

    censored = tuple(sorted((d, survival.get(d, at(d)))
                            for d, e in zip(durations, events, strict=True) if not e))
    starts = entries or [0.0] * len(durations)
    at_risk = tuple((t, sum(1 for d, e in zip(durations, starts, strict=True)
                             if e <= t <= d))
                    for t in at_risk_times)
    median = _finite(kmf.median_survival_time_)
    if MedianCiMethod(median_ci) is MedianCiMethod.SIMON_LEE:
        if entries and any(entries):
            raise ValueError("Simon and Lee's limits are computed for subjects at risk from the "
                             "origin: none may enter late")
        interval = simon_lee_median(durations, events, level=level)
        lower, upper = interval.lower, interval.upper
    else:
        bounds = median_survival_times(kmf.confidence_interval_)
        lower, upper = (_finite(v) for v in bounds.iloc[0, :2])
    return KaplanMeier(
        steps=tuple(steps), censored=censored, at_risk=at_risk, median=median,
        median_lower=lower, median_upper=upper, subjects=len(durations),
        events=sum(events), level=level, median_method=MedianCiMethod(median_ci),
    )


def format_median(km):
    """The median with its interval as a page shows it: "not reached" for a missing value,
    so a limit that is not reached never repeats the median."""
    if km is None:
        return None

    def days(value):
        return "not reached" if value is None else f"{value:g} days"

    if km.median is None:
        return "not reached"
    return (f"{days(km.median)} ({km.level * 100:g} % CI {days(km.median_lower)} – "
            f"{days(km.median_upper)}, {km.median_method})")


@dataclass(frozen=True)
class LogRank:
    """A log-rank test between groups: chi-square statistic, degrees of freedom, p value.

    The chi-square statistic measures departure in any direction, so its p value is two-sided
    (``sidedness``); a one-sided test needs a declared direction between two groups.
    """

    statistic: float
    degrees_of_freedom: int
    p_value: float
    groups: int
    sidedness: str = Sidedness.TWO_SIDED


def logrank(durations, events, groups):
    """Log-rank test of equal survival across ``groups`` (labels, one per subject), computed
    by ``lifelines``; None with fewer than two groups or no event at all."""
    from lifelines.statistics import multivariate_logrank_test

    durations = [float(d) for d in durations]
    events = [bool(e) for e in events]
    if len(set(groups)) < 2 or not any(events):
        return None
    result = multivariate_logrank_test(durations, list(groups), events)
    return LogRank(statistic=float(result.test_statistic),
                   degrees_of_freedom=int(result.degrees_of_freedom),
                   p_value=float(result.p_value), groups=len(set(groups)))


def logrank_delayed_entry(durations, events, groups, entries):
    """Log-rank test of equal survival across ``groups`` with delayed entry (left truncation).

    The risk set at an event time ``t`` holds the subjects with ``entry < t <= duration``, the
    convention lifelines' Kaplan–Meier uses with ``entry``; with every entry 0 this is the
    ordinary log-rank test. At each distinct event time the observed and expected events of
    every group and their hypergeometric covariance are summed, and the statistic is
    ``(O - E)' V^-1 (O - E)`` over all groups but one, chi-square with ``groups - 1`` degrees of
    freedom (Klein & Moeschberger, Survival Analysis, 2nd ed., §7.3 and §9.4 on left
    truncation). None with fewer than two groups or no event at all.
    """
    import numpy as np
    from scipy.stats import chi2

    durations = [float(d) for d in durations]
    events = [bool(e) for e in events]
    entries = [float(e) for e in entries]
    groups = list(groups)
    if not len(durations) == len(events) == len(entries) == len(groups):
        raise ValueError("durations, events, groups and entries differ in length")
    labels = sorted(set(groups), key=str)
    if len(labels) < 2 or not any(events):
        return None
    index = {label: k for k, label in enumerate(labels)}
    k = len(labels)
    observed_minus_expected = np.zeros(k)
    variance = np.zeros((k, k))
    for t in sorted({d for d, e in zip(durations, events, strict=True) if e}):
        at_risk = np.zeros(k)
        deaths = np.zeros(k)
        for d, e, start, g in zip(durations, events, entries, groups, strict=True):
            if start < t <= d:
                at_risk[index[g]] += 1
            if e and d == t:
                deaths[index[g]] += 1
        n, dead = at_risk.sum(), deaths.sum()
        if n == 0:
            continue
        share = at_risk / n
        observed_minus_expected += deaths - dead * share
        if n > 1:
            factor = dead * (n - dead) / (n - 1)
            variance += factor * (np.diag(share) - np.outer(share, share))
    reduced = variance[:-1, :-1]
    difference = observed_minus_expected[:-1]
    statistic = float(difference @ np.linalg.pinv(reduced) @ difference)
    freedom = k - 1
    return LogRank(statistic=statistic, degrees_of_freedom=freedom,
                   p_value=float(chi2.sf(statistic, freedom)), groups=k)
