"""Simon & Lee (Cancer Treat Rep 1982;66:37-42) confidence limits of the median survival.

The worked example is the classic 6-MP arm of Freireich et al. (Blood 1963;21:699-716): 21
leukaemia patients' remission times in weeks, ``+`` censored. Its product-limit estimates and
Greenwood standard errors are the textbook ones (Klein & Moeschberger, Survival Analysis, 2nd
ed. 2003, §4.2; Kleinbaum & Klein, Survival Analysis, ch. 2): S = 0.857, 0.807, 0.753, 0.690,
0.627, 0.538, 0.448 at weeks 6, 7, 10, 13, 16, 22, 23 with se = 0.076, 0.087, 0.096, 0.107,
0.114, 0.128, 0.135. The limits then follow from the method by hand (z = 1.96).
"""

import pytest

from outcomes.domain.median_ci import greenwood_limits, simon_lee_median

# 6-MP arm: 9 relapses, 12 censored.
SIX_MP = [(6, True), (6, True), (6, True), (6, False), (7, True), (9, False), (10, True),
          (10, False), (11, False), (13, True), (16, True), (17, False), (19, False),
          (20, False), (22, True), (23, True), (25, False), (32, False), (32, False),
          (34, False), (35, False)]


def split(pairs):
    return [d for d, _ in pairs], [e for _, e in pairs]


def test_six_mp_survival_and_greenwood_errors_are_the_textbook_values():
    steps = greenwood_limits(*split(SIX_MP))
    assert [s.time for s in steps] == [6, 7, 10, 13, 16, 22, 23]
    assert [round(s.survival, 3) for s in steps] == [0.857, 0.807, 0.753, 0.690, 0.627,
                                                     0.538, 0.448]
    assert [round(s.std_error, 3) for s in steps] == [0.076, 0.087, 0.096, 0.107, 0.114,
                                                      0.128, 0.135]


def test_six_mp_median_is_23_weeks_with_limits_13_and_not_reached():
    # Lower curve S - 1.96 se: week 10 0.753 - 0.189 = 0.564 > 0.5; week 13 0.690 - 0.209 =
    # 0.481 <= 0.5, so the lower limit is 13. Upper curve at week 23, the last relapse:
    # 0.448 + 0.264 = 0.712, and it never comes down to 0.5: the upper limit is not reached.
    result = simon_lee_median(*split(SIX_MP))
    assert (result.median, result.lower, result.upper) == (23, 13, None)


def test_uncensored_sample_reduces_to_binomial_limits():
    # Ten deaths at 1..10: S(k) = (10 - k)/10 and Greenwood's se^2 = S(1 - S)/10.
    # Lower: k=2 0.8 - 1.96 x 0.126 = 0.552; k=3 0.7 - 1.96 x 0.145 = 0.416 <= 0.5 -> 3.
    # Upper: k=7 0.3 + 0.284 = 0.584; k=8 0.2 + 0.248 = 0.448 <= 0.5 -> 8. Median: S(5) = 0.5.
    result = simon_lee_median(range(1, 11), [True] * 10)
    assert (result.median, result.lower, result.upper) == (5, 3, 8)


def test_median_at_the_last_event_has_its_upper_limit_not_reached():
    # Half die at 1..5, half are censored later: the median is 5 and the upper curve stays
    # above one half (0.5 + 1.96 x 0.158): never 5-5.
    durations = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    events = [True] * 5 + [False] * 5
    result = simon_lee_median(durations, events)
    assert (result.median, result.lower, result.upper) == (5, 3, None)


def test_without_events_nothing_is_reached():
    result = simon_lee_median([10, 20, 30], [False] * 3)
    assert (result.median, result.lower, result.upper) == (None, None, None)


def test_the_last_patient_at_risk_having_the_event_bounds_nothing():
    # At time 2 the one patient left has the event: S = 0 but Greenwood's d/(n(n - d)) is
    # 1/0, so the limits are [0, 1] and the upper limit of the median is not reached.
    (first, last) = greenwood_limits([1, 2], [True, True])
    assert (first.survival, last.survival) == (0.5, 0.0)
    assert (last.std_error, last.lower, last.upper) == (float("inf"), 0.0, 1.0)
    result = simon_lee_median([1, 2], [True, True])
    assert (result.median, result.lower, result.upper) == (1, 1, None)


def test_a_median_at_the_last_patients_event_does_not_show_the_median_as_its_limits():
    # Like the demo trial: S stays high until the one patient left progresses on day 506.
    # Day 82: 26 at risk, 2 events, S = 0.923; day 85: 17 at risk, 2 events, S = 0.814 with
    # se = 0.814 x sqrt(2/(26 x 24) + 2/(17 x 15)) = 0.086, lower curve 0.646 > 0.5; day 506:
    # 1 at risk, 1 event: S = 0, limits [0, 1]. So the lower limit is 506, the upper not reached.
    durations = [82, 82] + [83] * 7 + [85, 85] + [100] * 14 + [506]
    events = [True, True] + [False] * 7 + [True, True] + [False] * 14 + [True]
    result = simon_lee_median(durations, events)
    assert result.median == 506
    assert (result.lower, result.upper) == (506, None)


def test_a_wider_level_cannot_narrow_the_interval():
    narrow = simon_lee_median(*split(SIX_MP), level=0.80)
    assert narrow.lower >= 13
    # At 80 % (z = 1.28) week 16: 0.627 - 0.146 = 0.481 <= 0.5 while week 13: 0.553 > 0.5.
    assert narrow.lower == 16


@pytest.mark.parametrize("level", [0, 1, 1.5])
def test_the_level_must_be_a_probability(level):
    with pytest.raises(ValueError):
        simon_lee_median([1], [True], level=level)


def test_negative_durations_are_refused():
    with pytest.raises(ValueError):
        simon_lee_median([-1], [True])
