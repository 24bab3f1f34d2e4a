"""Pre-analytical timing against the ICRG0201 limits (2 h to centrifuge, 4 h to freeze)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from biosamples.domain.processing import (
    Limits,
    ProcessingError,
    check_split,
    first_dose_deviation,
    format_minutes,
    processing_timing,
)

DRAW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ICRG = Limits(draw_to_centrifuge_minutes=120, draw_to_freeze_minutes=240)


def timing(centrifuge, freeze):
    return processing_timing(drawn_at=DRAW, centrifuge_started_at=DRAW + centrifuge,
                             frozen_at=DRAW + freeze, limits=ICRG)


def test_exactly_at_the_limits_is_no_deviation():
    t = timing(timedelta(hours=2, seconds=59), timedelta(hours=4))
    assert (t.draw_to_centrifuge_minutes, t.draw_to_freeze_minutes) == (120, 240)
    assert t.deviations == ()


def test_one_minute_late_to_centrifuge_is_a_deviation():
    t = timing(timedelta(minutes=121), timedelta(minutes=200))
    assert [d.code for d in t.deviations] == ["centrifuge_delay"]
    assert t.deviations[0].message == ("Centrifugation started 2 h 01 min after the draw; the "
                                       "sample plan allows 2 h")


def test_an_assumed_limit_says_so_and_never_calls_itself_the_protocols():
    limits = Limits(draw_to_centrifuge_minutes=120, draw_to_freeze_minutes=240, assumed=True)
    t = processing_timing(drawn_at=DRAW, centrifuge_started_at=DRAW + timedelta(minutes=121),
                          frozen_at=DRAW + timedelta(minutes=200), limits=limits)
    message = t.deviations[0].message
    assert "an assumed limit: the registry text gives none" in message
    assert "protocol" not in message


def test_a_baseline_drawn_the_day_after_the_first_dose_is_a_deviation():
    deviation = first_dose_deviation(visit_code="BL", pre_treatment_visits=("BL",),
                                     drawn_on=date(2026, 3, 3), first_dose_on=date(2026, 3, 2))
    assert deviation.code == "baseline_after_first_dose"
    assert deviation.message == ("Baseline sample drawn 2026-03-03, 1 day after the first dose "
                                 "on D1 2026-03-02: not a pre-treatment sample")


def test_a_baseline_drawn_on_or_before_d1_is_no_deviation():
    for drawn in (date(2026, 3, 2), date(2026, 2, 28)):
        assert first_dose_deviation(visit_code="BL", pre_treatment_visits=("BL",),
                                    drawn_on=drawn, first_dose_on=date(2026, 3, 2)) is None


def test_a_later_visit_drawn_on_treatment_is_no_deviation():
    assert first_dose_deviation(visit_code="M1", pre_treatment_visits=("BL",),
                                drawn_on=date(2026, 3, 30), first_dose_on=date(2026, 3, 2)) is None


def test_late_freezing_is_a_deviation_even_after_a_timely_spin():
    t = timing(timedelta(minutes=30), timedelta(hours=5, minutes=10))
    assert [(d.code, d.minutes, d.limit_minutes) for d in t.deviations] == [
        ("freeze_delay", 310, 240)]


def test_both_delays_are_both_reported():
    t = timing(timedelta(hours=3), timedelta(hours=6))
    assert [d.code for d in t.deviations] == ["centrifuge_delay", "freeze_delay"]


def test_times_out_of_order_are_refused_on_their_field():
    with pytest.raises(ProcessingError) as before_draw:
        timing(timedelta(minutes=-5), timedelta(minutes=60))
    assert before_draw.value.field == "centrifuge_started_at"
    with pytest.raises(ProcessingError) as before_spin:
        timing(timedelta(minutes=60), timedelta(minutes=30))
    assert before_spin.value.field == "frozen_at"


def test_split_needs_a_sane_count_and_volume():
    check_split(count=4, volume_ml=Decimal("0.5"), max_count=12)
    for count, volume, field in ((0, Decimal("0.5"), "aliquot_count"),
                                 (13, Decimal("0.5"), "aliquot_count"),
                                 (4, Decimal("0"), "aliquot_volume_ml")):
        with pytest.raises(ProcessingError) as exc:
            check_split(count=count, volume_ml=volume, max_count=12)
        assert exc.value.field == field
    with pytest.raises(ProcessingError, match="more plasma"):
        check_split(count=4, volume_ml=Decimal("1.5"), max_count=12, tube_plasma_ml=Decimal("5"))


def test_minutes_read_as_hours_and_minutes():
    assert [format_minutes(m) for m in (45, 60, 125)] == ["45 min", "1 h", "2 h 05 min"]
