"""What a study drug exposure record says about dosing (pure)."""

#: The dose level meaning the drug was stopped (the protocol's lowest level is not tolerated).
DISCONTINUED = "discontinued"


def records_a_dose(dose_level, days_taken):
    """Tell whether an exposure record shows the drug taken: a dose level, at least one day.

    "discontinued" or 0 days taken in the cycle record that no drug was taken.
    """
    return bool(dose_level) and dose_level != DISCONTINUED and (days_taken or 0) > 0
