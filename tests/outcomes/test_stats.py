"""Exact binomial confidence intervals and Kaplan–Meier estimates against known values."""

import math
from xml.etree import ElementTree

import pytest

from outcomes import plots, stats
from outcomes.stats import clopper_pearson, kaplan_meier


@pytest.mark.parametrize("count, total, lower, upper", [
    (0, 10, 0.0, 0.3085),
    (5, 10, 0.1871, 0.8129),
    (10, 10, 0.6915, 1.0),
    (1, 20, 0.0013, 0.2487),
])
def test_clopper_pearson_known_values(count, total, lower, upper):
    ci = clopper_pearson(count, total)
    assert ci.lower == pytest.approx(lower, abs=5e-5)
    assert ci.upper == pytest.approx(upper, abs=5e-5)


def test_proportion_is_written_n_of_n_with_its_interval():
    assert str(clopper_pearson(5, 10)) == "5/10 (50.0 %, 95 % CI 18.7–81.3 %)"
    assert str(clopper_pearson(0, 0)) == "0/0"


@pytest.mark.parametrize("count, total", [(-1, 3), (4, 3), (True, 3)])
def test_clopper_pearson_refuses_impossible_counts(count, total):
    with pytest.raises((ValueError, TypeError)):
        clopper_pearson(count, total)


def test_kaplan_meier_by_hand_on_six_patients():
    # times 2, 3+, 4, 4, 6+, 8: S(2) = 5/6; S(4) = 5/6 * (1 - 2/4) = 5/12; S(8) = 0.
    km = kaplan_meier([2, 3, 4, 4, 6, 8], [1, 0, 1, 1, 0, 1], at_risk_times=[0, 3, 5, 8])
    assert km.survival_at(1) == 1.0
    assert km.survival_at(2) == pytest.approx(5 / 6)
    assert km.survival_at(3.5) == pytest.approx(5 / 6)
    assert km.survival_at(4) == pytest.approx(5 / 12)
    assert km.survival_at(8) == pytest.approx(0.0)
    assert km.censored == ((3.0, pytest.approx(5 / 6)), (6.0, pytest.approx(5 / 12)))
    assert km.at_risk == ((0, 6), (3, 5), (5, 2), (8, 1))
    assert km.median == 4.0
    assert (km.subjects, km.events) == (6, 4)


# Freireich et al. (1963), 6-MP arm: the classic Kaplan–Meier example (Klein & Moeschberger).
SIX_MP = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENTS = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


def test_kaplan_meier_six_mp_against_the_textbook_and_lifelines():
    from lifelines import KaplanMeierFitter

    km = kaplan_meier(SIX_MP, SIX_MP_EVENTS, at_risk_times=[0, 10, 20, 30])
    for time, expected in [(6, 0.8571), (7, 0.8067), (10, 0.7529), (13, 0.6902),
                           (16, 0.6275), (22, 0.5378), (23, 0.4482)]:
        assert km.survival_at(time) == pytest.approx(expected, abs=1e-4)
    kmf = KaplanMeierFitter().fit(SIX_MP, SIX_MP_EVENTS)
    for time in range(0, 36):
        assert km.survival_at(time) == pytest.approx(float(kmf.predict(time)))
    assert km.median == 23.0
    assert km.median_lower == 13.0 and km.median_upper is None  # upper bound not reached
    assert km.at_risk == ((0, 21), (10, 15), (20, 8), (30, 4))


def test_kaplan_meier_without_events_has_no_median():
    km = kaplan_meier([10, 20, 30], [False, False, False])
    assert km.median is None and km.survival_at(30) == 1.0
    assert kaplan_meier([], []) is None


def test_plots_are_svg_with_escaped_text():
    km = kaplan_meier(SIX_MP, SIX_MP_EVENTS, at_risk_times=[0, 10, 20, 30])
    svg = plots.km_plot(km)
    assert svg.startswith("<svg") and svg.count('class="censor"') == 12
    assert svg.count('class="at-risk"') == 4
    waterfall = plots.waterfall_plot([("<b>&1", -45.0, "PR"), ("P2", 25.0, "PD")])
    assert "&lt;b&gt;&amp;1" in waterfall and "<b>" not in waterfall
    assert "−30 %" in waterfall and "+20 %" in waterfall
    assert waterfall.count('class="bar"') == 2
    swimmer = plots.swimmer_plot([{"subject_id": "P1", "days": 100, "bor": "PR",
                                   "response_day": 56, "progression_day": 90,
                                   "death_day": None}])
    assert 'class="response"' in swimmer and 'class="progression"' in swimmer
    spider = plots.spider_plot([("P1", "PR", [(56, -40.0), (112, -50.0)])])
    assert spider.count('class="spider"') == 1
    assert not math.isnan(float(km.steps[-1][1]))
    for figure in (svg, waterfall, swimmer, spider, plots.km_plot(None)):
        ElementTree.fromstring(figure)  # well-formed XML


def test_kaplan_meier_gives_simon_lee_limits_when_the_plan_asks():
    from trialsite.protocols.base import MedianCiMethod

    # Two patients, one event at 56: S(56) = 0.5; upper curve 1.0 never reaches one half.
    km = stats.kaplan_meier([56, 200], [True, False], median_ci=MedianCiMethod.SIMON_LEE)
    assert (km.median, km.median_lower, km.median_upper) == (56, 56, None)
    assert stats.format_median(km) == ("56 days (95 % CI 56 days – not reached, "
                                       "Simon and Lee (1982))")
