"""Read the imaging core lab's JSON document and evaluate it by RECIST 1.1 (pure).

The document is a dict already loaded from JSON::

    {"subject_id": "...", "reference_date": "2026-01-05",
     "baseline": {"date": "2025-12-20",
                  "targets": [{"id": "T1", "organ": "liver", "nodal": false, "diameter_mm": 50}],
                  "nontargets": [{"id": "NT1", "organ": "bone"}]},
     "followups": [{"date": "2026-03-30", "targets": {"T1": 30},
                    "nontargets": {"NT1": "PRESENT"}, "new_lesions": "NO"},
                   {"date": "2026-05-04", "overall": "PR"}]}

A target reading is millimetres, ``"TSTM"`` (too small to measure, 5 mm) or ``"NE"`` / null
(not evaluated). In the output, ``sum_mm`` is null unless every target was evaluated (the sum
of those that were is ``partial_sum_mm``), and ``nontarget`` is ``"NA"`` when the baseline had
no non-target lesion. ``reference_date`` is D1. Invalid input raises ``CoreLabError`` (a
``RecistError``) whose ``as_dict()`` gives ``{"error": {"code": ..., "message": ...}}``.
"""

import math
import re
from datetime import date
from decimal import Decimal
from fractions import Fraction

from outcomes.domain.recist import (
    Baseline,
    ErrorCode,
    FollowUp,
    NonTargetLesion,
    RecistError,
    TargetLesion,
    assess,
    best_overall_response,
    first_progression_date,
    validate,
)

CoreLabError = RecistError

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MEASUREMENT_KEYS = ("targets", "nontargets", "new_lesions")


def _invalid(message):
    return CoreLabError(ErrorCode.INVALID_VALUE, message)


def _get(obj, key, kind, where, *, required=True, default=None):
    if key not in obj:
        if required:
            raise _invalid(f"{where}.{key} is missing")
        return default
    value = obj[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise _invalid(f"{where}.{key} has the wrong type: {value!r}")
    return value


def _date(obj, key, where):
    text = _get(obj, key, str, where)
    # Only the calendar form YYYY-MM-DD: no times, no time zones, no compact forms.
    if not _ISO_DATE.fullmatch(text):
        raise _invalid(f"{where}.{key} must be a date as YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _invalid(f"{where}.{key} is not a real date: {text!r}") from None


def _target(obj, where):
    if not isinstance(obj, dict):
        raise _invalid(f"{where} must be an object")
    return TargetLesion(
        id=_get(obj, "id", str, where),
        organ=_get(obj, "organ", str, where),
        nodal=_get(obj, "nodal", bool, where, required=False, default=False),
        diameter_mm=_get(obj, "diameter_mm", object, where),
    )


def _nontarget(obj, where):
    if not isinstance(obj, dict):
        raise _invalid(f"{where} must be an object")
    return NonTargetLesion(
        id=_get(obj, "id", str, where),
        organ=_get(obj, "organ", str, where, required=False),
    )


def _followup(obj, where):
    if not isinstance(obj, dict):
        raise _invalid(f"{where} must be an object")
    when = _date(obj, "date", where)
    if "overall" in obj:
        extra = [key for key in _MEASUREMENT_KEYS if key in obj]
        if extra:
            raise _invalid(
                f"{where} gives an overall response and also {', '.join(extra)}; "
                "give one or the other"
            )
        return FollowUp(date=when, overall=_get(obj, "overall", str, where))
    return FollowUp(
        date=when,
        targets=_get(obj, "targets", dict, where, required=False, default={}),
        nontargets=_get(obj, "nontargets", dict, where, required=False, default={}),
        # Required: a missing entry must not silently read as "no new lesions".
        new_lesions=_get(obj, "new_lesions", str, where),
    )


def parse(document):
    """Return ``(baseline, followups, reference_date)`` from a core-lab document, validated."""
    if not isinstance(document, dict):
        raise _invalid("the document must be a JSON object")
    _get(document, "subject_id", str, "document", required=False)
    reference_date = _date(document, "reference_date", "document")
    raw = _get(document, "baseline", dict, "document")
    targets = _get(raw, "targets", list, "baseline", required=False, default=[])
    nontargets = _get(raw, "nontargets", list, "baseline", required=False, default=[])
    baseline = Baseline(
        date=_date(raw, "date", "baseline"),
        targets=tuple(_target(item, f"baseline.targets[{i}]") for i, item in enumerate(targets)),
        nontargets=tuple(
            _nontarget(item, f"baseline.nontargets[{i}]") for i, item in enumerate(nontargets)
        ),
    )
    raw_followups = _get(document, "followups", list, "document", required=False, default=[])
    followups = tuple(_followup(item, f"followups[{i}]") for i, item in enumerate(raw_followups))
    validate(baseline, followups)
    return baseline, followups, reference_date


def _mm(value):
    """Return millimetres as an int when whole, else as a number with the decimals needed."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _pct(value):
    """Return an exact percentage rounded half-up to one decimal, for display only."""
    if value is None:
        return None
    # Round the exact fraction, ties away from zero (-12.25 -> -12.3), then print it.
    tenths = math.floor(abs(value) * 10 + Fraction(1, 2))
    rounded = Decimal(tenths).scaleb(-1)
    return float(-rounded if value < 0 else rounded)


def _str(value):
    return None if value is None else str(value)


#: The non-target response of a baseline without non-target lesions: not applicable, which
#: is an answer ("NA", as the RECIST 1.1 case report forms write it), not a missing value.
NOT_APPLICABLE = "NA"


def _nontarget_response(point, baseline):
    if point.nontarget is not None:
        return str(point.nontarget)
    if not baseline.nontargets and point.target is not None:
        return NOT_APPLICABLE
    return None


def evaluate(document, *, min_sd_days=42, confirm_days=28, confirmation_required=True):
    """Evaluate a core-lab document: each time point, the best overall response, first PD."""
    baseline, followups, reference_date = parse(document)
    timepoints = assess(baseline, followups)
    # sum_mm is the sum over every target, so null when one was not evaluated; the sum of
    # those measured is partial_sum_mm, which is never compared and never a nadir.
    progression = first_progression_date(timepoints)
    return {
        "timepoints": [
            {
                "date": point.date.isoformat(),
                "sum_mm": _mm(point.sum_mm),
                "partial_sum_mm": _mm(point.partial_sum_mm),
                "nadir_mm": _mm(point.nadir_mm),
                "pct_change_from_baseline": _pct(point.pct_change_from_baseline),
                "pct_change_from_nadir": _pct(point.pct_change_from_nadir),
                "target": _str(point.target),
                "nontarget": _nontarget_response(point, baseline),
                "overall": str(point.overall),
            }
            for point in timepoints
        ],
        "best_overall_response": str(
            best_overall_response(
                timepoints,
                reference_date,
                min_sd_days=min_sd_days,
                confirm_days=confirm_days,
                confirmation_required=confirmation_required,
                target_disease=bool(baseline.targets),
            )
        ),
        "first_pd_date": None if progression is None else progression.isoformat(),
    }
