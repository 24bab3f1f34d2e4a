"""The shape of a sample plan: what each expected sample is, how fast it must be processed, and
where its aliquots go. Frozen data; the rules that use it live in ``biosamples.domain``.

Visit declarations (``schedule.py``) name the samples a visit expects by code; the sample plan
says what each code means. A system check (``biosamples.checks``) refuses a schedule that names
a sample the plan does not declare.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class SampleType:
    """One kind of sample drawn at visits, with its pre-analytical limits."""

    code: str
    label: str
    #: Short code used in aliquot labels, e.g. ``LB`` in ``JOKHC-001-M3-LB-02``.
    label_code: str
    tube_type: str
    #: Longest time from the draw to the start of centrifugation, in minutes.
    max_draw_to_centrifuge_minutes: int
    #: Longest time from the draw to freezing of the aliquots, in minutes.
    max_draw_to_freeze_minutes: int
    default_aliquot_count: int
    default_aliquot_volume_ml: Decimal
    storage_temperature_c: int = -80
    #: Largest number of aliquots one sample may be split into.
    max_aliquot_count: int = 12
    #: Visits whose sample must be drawn before the first dose (pre-treatment baseline).
    pre_treatment_visits: tuple[str, ...] = ()
    #: Where the tube, limits and aliquots come from when the registry text does not give
    #: them, shown wherever they are; "" when they are the registry's own values.
    assumption_source: str = ""

    @property
    def assumed(self):
        return bool(self.assumption_source)


@dataclass(frozen=True)
class Lab:
    """A laboratory aliquots are shipped to."""

    code: str
    name: str
    city: str = ""
    country: str = ""


@dataclass(frozen=True)
class SamplePlan:
    sample_types: tuple[SampleType, ...]
    labs: tuple[Lab, ...]
    #: Freezer boxes are ``box_rows`` x ``box_columns`` unless a site declares otherwise.
    box_rows: int = 9
    box_columns: int = 9
    #: A shipment still in transit after this many days is flagged.
    transit_alert_days: int = 5

    def sample_type(self, code):
        for sample_type in self.sample_types:
            if sample_type.code == code:
                return sample_type
        raise KeyError(f"no sample type {code!r} in the sample plan")

    def lab(self, code):
        for lab in self.labs:
            if lab.code == code:
                return lab
        raise KeyError(f"no laboratory {code!r} in the sample plan")
