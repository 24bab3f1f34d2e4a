"""Days on drug per cycle, from each protocol's regimen (registry text: palbociclib "3 weeks
on-1 week off", i.e. 21 days of each 28-day cycle)."""

from trialsite.protocols import icrg0201, palmares2
from visits.crf.domain.dosing import days_taken_error

PALBOCICLIB = icrg0201.PROTOCOL.drug("PALBOCICLIB")


def test_palbociclib_allows_21_days_of_a_28_day_cycle():
    assert days_taken_error(21, PALBOCICLIB) == ""
    assert days_taken_error(0, PALBOCICLIB) == ""


def test_palbociclib_refuses_a_22nd_day_on_drug():
    message = days_taken_error(22, PALBOCICLIB)
    assert "at most 21 days of each 28-day cycle" in message
    assert "enter 0 to 21" in message


def test_the_maximum_is_protocol_data_per_drug():
    # Abemaciclib is continuous: every day of the 28-day cycle may be a day on drug.
    abemaciclib = palmares2.PROTOCOL.drug("ABEMACICLIB")
    assert days_taken_error(28, abemaciclib) == ""
    assert "enter 0 to 28" in days_taken_error(29, abemaciclib)
    ribociclib = palmares2.PROTOCOL.drug("RIBOCICLIB")
    assert days_taken_error(21, ribociclib) == "" and days_taken_error(22, ribociclib)


def test_a_drug_without_a_declared_cycle_is_not_checked():
    letrozole = icrg0201.PROTOCOL.drug("LETROZOLE")
    assert days_taken_error(28, letrozole) == ""


def test_every_cdk46_inhibitor_with_dose_levels_declares_its_cycle():
    for protocol in (icrg0201.PROTOCOL, palmares2.PROTOCOL):
        for drug in protocol.drugs:
            if drug.drug_class == "CDK4/6 inhibitor":
                assert drug.cycle_days == 28 and 0 < drug.max_days_on_per_cycle <= 28
