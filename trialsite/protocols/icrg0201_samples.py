"""ICRG0201 sample plan, as read from the protocol.

One 10 mL K2-EDTA tube per liquid-biopsy time point; centrifugation within 2 h of the draw;
plasma split into 4 aliquots of 0.5 mL, frozen at -80 °C within 4 h of the draw; stored in the
site's freezer boxes and shipped frozen on dry ice to the central quantum-optics laboratory, with
a subset to the Raman benchmark laboratory. A delay beyond either limit is a pre-analytical
deviation: recorded and flagged, never hidden.
"""

from decimal import Decimal

from trialsite.protocols.icrg0201_schedule import LIQUID_BIOPSY
from trialsite.protocols.samples import Lab, SamplePlan, SampleType

SAMPLE_PLAN = SamplePlan(
    sample_types=(
        SampleType(
            code=LIQUID_BIOPSY,
            label="Liquid biopsy (plasma)",
            label_code="LB",
            tube_type="10 mL K2-EDTA",
            max_draw_to_centrifuge_minutes=120,
            max_draw_to_freeze_minutes=240,
            default_aliquot_count=4,
            default_aliquot_volume_ml=Decimal("0.5"),
            storage_temperature_c=-80,
        ),
    ),
    labs=(
        Lab(code="QOLAB", name="Central quantum-optics laboratory", city="Garching",
            country="Germany"),
        # The protocol names the benchmark method (Raman spectroscopy), not the laboratory.
        Lab(code="RAMAN", name="Raman benchmark laboratory"),
    ),
    box_rows=9,
    box_columns=9,
    transit_alert_days=5,
)
