"""Pre-analytical timing: draw to centrifugation and draw to freezing, against the sample plan;
and the baseline draw against the first dose.

The limits come from the study's sample plan. Where the registry text gives none (ICRG0201's
tube, processing limits and aliquots are not in NCT05190094), the plan says the values are an
assumption and the messages say "the sample plan", never "the protocol".
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Limits:
    draw_to_centrifuge_minutes: int
    draw_to_freeze_minutes: int
    #: The limits are the sample plan's assumption, not values of the registry text.
    assumed: bool = False


@dataclass(frozen=True)
class Deviation:
    code: str
    minutes: int
    limit_minutes: int
    assumed: bool = False

    @property
    def message(self):
        what = {"centrifuge_delay": "Centrifugation started",
                "freeze_delay": "Aliquots frozen"}[self.code]
        source = " (an assumed limit: the registry text gives none)" if self.assumed else ""
        return (f"{what} {format_minutes(self.minutes)} after the draw; the sample plan allows "
                f"{format_minutes(self.limit_minutes)}{source}")


@dataclass(frozen=True)
class DrawDeviation:
    """A deviation of the draw itself (when it was taken), known as soon as it is recorded."""

    code: str
    message: str


#: Code of a pre-treatment (baseline) sample drawn after the first dose.
AFTER_FIRST_DOSE = "baseline_after_first_dose"


def first_dose_deviation(*, visit_code, pre_treatment_visits, drawn_on, first_dose_on):
    """The deviation of a pre-treatment sample drawn after the first dose, or None.

    ICRG0201 draws the baseline liquid biopsy "at enrolment", before palbociclib starts on D1:
    a baseline drawn on a later day reflects treated plasma, a pre-analytical deviation to
    show, never to hide. Only dates are compared (the first dose is recorded as D1, a date): a
    draw on D1 itself is taken as before the dose.
    """
    if visit_code not in pre_treatment_visits or first_dose_on is None or drawn_on is None:
        return None
    if drawn_on <= first_dose_on:
        return None
    days = (drawn_on - first_dose_on).days
    return DrawDeviation(AFTER_FIRST_DOSE, (
        f"Baseline sample drawn {drawn_on.isoformat()}, {days} day{'s' if days != 1 else ''} "
        f"after the first dose on D1 {first_dose_on.isoformat()}: not a pre-treatment sample"
    ))


@dataclass(frozen=True)
class Timing:
    draw_to_centrifuge_minutes: int
    draw_to_freeze_minutes: int
    deviations: tuple[Deviation, ...]


class ProcessingError(ValueError):
    """Times that cannot be right; ``field`` names the input at fault."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def format_minutes(minutes):
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours} h {rest:02d} min"
    return f"{hours} h" if hours else f"{rest} min"


def _minutes(start, end):
    # Whole minutes, rounded down: 2 h 00 min 59 s is still within a 2 h limit.
    return int((end - start).total_seconds() // 60)


def processing_timing(*, drawn_at, centrifuge_started_at, frozen_at, limits):
    """Durations from the draw and the deviations they make; refuse times out of order."""
    if centrifuge_started_at < drawn_at:
        raise ProcessingError("centrifuge_started_at",
                              "Centrifugation cannot start before the draw.")
    if frozen_at < centrifuge_started_at:
        raise ProcessingError("frozen_at", "The aliquots cannot be frozen before centrifugation.")
    to_centrifuge = _minutes(drawn_at, centrifuge_started_at)
    to_freeze = _minutes(drawn_at, frozen_at)
    deviations = []
    if to_centrifuge > limits.draw_to_centrifuge_minutes:
        deviations.append(Deviation("centrifuge_delay", to_centrifuge,
                                    limits.draw_to_centrifuge_minutes, limits.assumed))
    if to_freeze > limits.draw_to_freeze_minutes:
        deviations.append(Deviation("freeze_delay", to_freeze, limits.draw_to_freeze_minutes,
                                    limits.assumed))
    return Timing(to_centrifuge, to_freeze, tuple(deviations))


def check_split(*, count, volume_ml, max_count, tube_plasma_ml=None):
    """Refuse an aliquot split that cannot be: none, too many, or no volume."""
    if count < 1:
        raise ProcessingError("aliquot_count", "At least one aliquot is needed.")
    if count > max_count:
        raise ProcessingError("aliquot_count", f"At most {max_count} aliquots per sample.")
    if volume_ml <= Decimal("0"):
        raise ProcessingError("aliquot_volume_ml", "The aliquot volume must be positive.")
    if tube_plasma_ml is not None and count * volume_ml > tube_plasma_ml:
        raise ProcessingError("aliquot_volume_ml",
                              f"{count} × {volume_ml} mL is more plasma than the tube gives.")
