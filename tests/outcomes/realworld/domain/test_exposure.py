"""Line-1 exposure windows and delayed entry, from the definitions of issue 13 §5: toxicity
counts when its onset is from the line's start to its end plus 30 days; OS is at risk from
study entry (left truncation)."""

from datetime import date, timedelta

import pytest

from outcomes.realworld.domain.exposure import (
    LINE_EXPOSURE_GRACE_DAYS,
    delayed_entry_days,
    line_exposure,
    severe_during,
)

START, STOP = date(2024, 1, 10), date(2024, 9, 30)


def test_grace_after_the_line_is_30_days():
    assert LINE_EXPOSURE_GRACE_DAYS == 30


def test_onset_on_the_first_day_of_the_line_counts_and_the_day_before_does_not():
    window = line_exposure(START, STOP)
    assert window.contains(START)
    assert not window.contains(START - timedelta(days=1))


def test_onset_30_days_after_the_line_ends_counts_and_31_days_does_not():
    window = line_exposure(START, STOP)
    assert window.contains(STOP + timedelta(days=30))
    assert not window.contains(STOP + timedelta(days=31))


def test_an_ongoing_line_has_no_end():
    window = line_exposure(START, None)
    assert window.end is None and window.contains(date(2030, 1, 1))


def test_a_line_that_stops_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        line_exposure(STOP, START)


def test_severe_toxicity_of_a_later_line_is_not_the_cdk46_inhibitors():
    window = line_exposure(START, STOP)
    # Grade 3 neutropenia on second-line capecitabine, three months after line 1 stopped.
    assert not severe_during([STOP + timedelta(days=90)], window)
    assert severe_during([STOP + timedelta(days=90), START + timedelta(days=20)], window)
    assert not severe_during([None], window)


def test_consent_before_the_start_enters_at_zero():
    assert delayed_entry_days(date(2024, 3, 1), date(2024, 2, 20), 400, False) == 0


def test_consent_a_year_after_the_start_enters_a_year_later():
    assert delayed_entry_days(date(2023, 3, 1), date(2024, 3, 1), 500, True) == 366


def test_censored_on_the_day_of_consent_contributes_no_time():
    assert delayed_entry_days(date(2023, 3, 1), date(2024, 3, 1), 366, False) == 366


def test_death_on_the_day_of_consent_is_at_risk_that_day():
    # Consent came first that day: the entry is half a day before the death.
    assert delayed_entry_days(date(2023, 3, 1), date(2024, 3, 1), 366, True) == 365.5
