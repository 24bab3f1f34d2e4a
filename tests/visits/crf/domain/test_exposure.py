"""What an exposure record says about dosing."""

from visits.crf.domain.exposure import records_a_dose


def test_a_dose_level_taken_at_least_one_day_is_a_dose():
    assert records_a_dose("125", 1)


def test_no_day_taken_in_the_cycle_is_no_dose():
    assert not records_a_dose("125", 0)


def test_discontinued_is_no_dose():
    assert not records_a_dose("discontinued", 21)
