"""ICRG0201 sample plan.

From the registry text (NCT05190094): liquid biopsies (blood) for plasma molecular
fingerprinting "at enrolment, each month for the first three months and then every three months
until relapse", analysed by the central quantum-optics laboratory, with a Raman spectroscopy
benchmark.

ASSUMPTIONS (the registry text gives none of these): one 10 mL K2-EDTA tube per time point;
centrifugation within 2 h of the draw; plasma split into 4 aliquots of 0.5 mL, frozen at -80 °C
within 4 h of the draw; shipped frozen on dry ice. Source: trialsite's sample-handling plan
(shared ARCHITECTURE §2, usual plasma practice for circulating-analyte work), to be replaced by
the central laboratory's manual or the sponsor's instructions. Pages and deviation messages say
"the sample plan", with ``assumption_source``, never "the protocol". A delay beyond either limit
is a pre-analytical deviation: recorded and flagged, never hidden. The baseline is drawn "at
enrolment", before the first dose on D1: a baseline drawn after D1 is a deviation too.
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
            pre_treatment_visits=("BL",),
            assumption_source=(
                "assumed: the registry text gives no tube, processing limits or aliquots; "
                "trialsite's sample-handling plan, pending the central laboratory's manual"
            ),
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
