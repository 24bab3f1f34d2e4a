"""Pre-analytical timing against the ICRG0201 limits (2 h to centrifuge, 4 h to freeze)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from biosamples.domain.processing import (
    Limits,
    ProcessingError,
    check_split,
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
                                       "protocol allows 2 h")


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
