"""Assess solid-tumour response by RECIST 1.1 (pure: no Django, no ORM, no clock).

Reference: Eisenhauer EA, Therasse P, Bogaerts J, et al. New response evaluation criteria in
solid tumours: revised RECIST guideline (version 1.1). Eur J Cancer 2009;45:228-247.

Sizes are millimetres held as ``Decimal`` and every threshold is tested by exact multiplication
(``sum <= 0.7 * baseline``), never with floats or rounded percentages: 51.0 -> 35.7 mm is
exactly -30 % and must read as PR.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType


class Response(StrEnum):
    """A response category, for a time point or as the best overall response."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    PD = "PD"
    NE = "NE"
    NON_CR_NON_PD = "NON-CR/NON-PD"


class NonTargetStatus(StrEnum):
    """The state of one non-target lesion at a follow-up."""

    ABSENT = "ABSENT"
    PRESENT = "PRESENT"
    UNEQUIVOCAL_PD = "UNEQUIVOCAL_PD"
    NE = "NE"


class NewLesions(StrEnum):
    """Whether new lesions were seen at a follow-up."""

    NO = "NO"
    YES = "YES"
    EQUIVOCAL = "EQUIVOCAL"


class ErrorCode(StrEnum):
    """Machine-readable reasons for rejecting an assessment."""

    TOO_MANY_TARGETS = "TOO_MANY_TARGETS"
    TOO_MANY_PER_ORGAN = "TOO_MANY_PER_ORGAN"
    NONNODAL_TOO_SMALL = "NONNODAL_TOO_SMALL"
    NODAL_TOO_SMALL = "NODAL_TOO_SMALL"
    NEGATIVE_DIAMETER = "NEGATIVE_DIAMETER"
    DUPLICATE_LESION_ID = "DUPLICATE_LESION_ID"
    UNKNOWN_LESION_ID = "UNKNOWN_LESION_ID"
    NO_DISEASE = "NO_DISEASE"
    UNSORTED_DATES = "UNSORTED_DATES"
    INVALID_VALUE = "INVALID_VALUE"


class RecistError(ValueError):
    """Reject an assessment that RECIST 1.1 cannot evaluate, with a code and a message."""

    def __init__(self, code, message):
        self.code = ErrorCode(code)
        self.message = message
        super().__init__(f"{self.code}: {message}")

    def as_dict(self):
        """Return the error as ``{"error": {"code": ..., "message": ...}}``."""
        return {"error": {"code": str(self.code), "message": self.message}}


# RECIST 1.1 §3.3: at most five target lesions in all and at most two per organ.
MAX_TARGETS = 5
MAX_TARGETS_PER_ORGAN = 2
# RECIST 1.1 §3.1.1: measurable means >= 10 mm longest diameter (CT, slice <= 5 mm), and a
# pathological node must be >= 15 mm in short axis to be measurable.
MIN_NONNODAL_MM = Decimal(10)
MIN_NODAL_MM = Decimal(15)
# RECIST 1.1 §4.3.1: a node under 10 mm short axis is normal, so it does not prevent CR.
NORMAL_NODE_MM = Decimal(10)
# RECIST 1.1 §4.3.2: a lesion "too small to measure" is recorded as a default 5 mm.
TSTM = "TSTM"
TSTM_MM = Decimal(5)
# RECIST 1.1 §4.3.1: PR is a decrease of at least 30 % from the baseline sum; PD is an
# increase of at least 20 % over the nadir together with at least 5 mm in absolute terms.
PR_RATIO = Decimal("0.7")
PD_RATIO = Decimal("1.2")
PD_MIN_INCREASE_MM = Decimal(5)

LYMPH_NODE = "lymph node"

# Paired organs (lungs, kidneys, ...) count as one organ, as the RECIST working group advises,
# so laterality words are dropped and plural or adjectival names mapped to one singular name.
_LATERALITY = frozenset({"left", "right", "bilateral", "both", "lt", "rt"})
_ORGAN_ALIASES = {
    "lungs": "lung",
    "pulmonary": "lung",
    "kidneys": "kidney",
    "renal": "kidney",
    "adrenals": "adrenal",
    "adrenal gland": "adrenal",
    "adrenal glands": "adrenal",
    "ovaries": "ovary",
    "ovarian": "ovary",
    "breasts": "breast",
    "testes": "testis",
    "testicle": "testis",
    "testicles": "testis",
    "lymph nodes": LYMPH_NODE,
    "node": LYMPH_NODE,
    "nodes": LYMPH_NODE,
    "lymph": LYMPH_NODE,
}


def normalize_organ(organ):
    """Return the organ name used to count targets per organ ("left lung" -> "lung")."""
    if not isinstance(organ, str) or not organ.strip():
        raise RecistError(ErrorCode.INVALID_VALUE, f"organ must be a non-empty text, got {organ!r}")
    words = [w for w in re.findall(r"[a-z]+", organ.lower()) if w not in _LATERALITY]
    name = " ".join(words)
    if not name:
        raise RecistError(ErrorCode.INVALID_VALUE, f"organ {organ!r} names no organ")
    return _ORGAN_ALIASES.get(name, name)


def to_mm(value, *, what):
    """Return ``value`` as an exact non-negative ``Decimal`` number of millimetres.

    Accept int, float and Decimal; a float goes through its shortest repr so that 35.7 stays
    35.7 rather than its binary approximation.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise RecistError(
            ErrorCode.INVALID_VALUE, f"{what} must be a number of millimetres, got {value!r}"
        )
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RecistError(ErrorCode.INVALID_VALUE, f"{what} must be finite, got {value!r}")
        value = Decimal(repr(value))
    value = Decimal(value)
    if not value.is_finite():
        raise RecistError(ErrorCode.INVALID_VALUE, f"{what} must be finite, got {value!r}")
    if value < 0:
        raise RecistError(ErrorCode.NEGATIVE_DIAMETER, f"{what} is negative ({value} mm)")
    return value


#: A target read "NE" (not evaluable) is the same as no reading: not evaluated.
NOT_EVALUATED = "NE"


def to_measurement(value, *, what):
    """Return a follow-up measurement: a ``Decimal``, ``TSTM``, or None (not evaluated, also
    written ``"NE"`` as core labs do)."""
    if value is None or value == NOT_EVALUATED:
        return None
    if value == TSTM:
        return value
    if isinstance(value, str):
        raise RecistError(
            ErrorCode.INVALID_VALUE,
            f"{what} must be a number of millimetres, {TSTM!r}, {NOT_EVALUATED!r} or null, "
            f"got {value!r}",
        )
    return to_mm(value, what=what)


def lesion_size(measurement):
    """Return the millimetres a measurement contributes to the sum, or None if not evaluated."""
    if measurement is None:
        return None
    if measurement == TSTM:
        return TSTM_MM  # RECIST 1.1 §4.3.2: "too small to measure" counts as 5 mm
    return measurement


def _check_date(value, *, what):
    # datetime is a subclass of date; a timestamp would make day counts depend on the clock.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise RecistError(ErrorCode.INVALID_VALUE, f"{what} must be a date, got {value!r}")


def _check_id(value, *, what):
    if not isinstance(value, str) or not value.strip():
        raise RecistError(
            ErrorCode.INVALID_VALUE, f"{what} must be a non-empty text, got {value!r}"
        )


def _coerce(enum, value, *, what):
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise RecistError(
            ErrorCode.INVALID_VALUE, f"{what} must be one of {allowed}; got {value!r}"
        ) from None


@dataclass(frozen=True)
class TargetLesion:
    """A baseline target lesion: longest diameter, or short axis when ``nodal``."""

    id: str
    organ: str
    diameter_mm: Decimal
    nodal: bool = False

    def __post_init__(self):
        _check_id(self.id, what="lesion id")
        if not isinstance(self.nodal, bool):
            raise RecistError(
                ErrorCode.INVALID_VALUE, f"target {self.id}: nodal must be true or false"
            )
        normalize_organ(self.organ)
        size = to_mm(self.diameter_mm, what=f"target {self.id} baseline diameter")
        object.__setattr__(self, "diameter_mm", size)

    @property
    def organ_group(self):
        """Return the organ this lesion counts against (all nodes are one organ, §3.3)."""
        return LYMPH_NODE if self.nodal else normalize_organ(self.organ)


@dataclass(frozen=True)
class NonTargetLesion:
    """A baseline non-target lesion, followed only qualitatively."""

    id: str
    organ: str | None = None

    def __post_init__(self):
        _check_id(self.id, what="lesion id")
        if self.organ is not None:
            normalize_organ(self.organ)


@dataclass(frozen=True)
class Baseline:
    """The baseline assessment: its date and its target and non-target lesions."""

    date: date
    targets: tuple[TargetLesion, ...] = ()
    nontargets: tuple[NonTargetLesion, ...] = ()

    def __post_init__(self):
        _check_date(self.date, what="baseline date")
        object.__setattr__(self, "targets", tuple(self.targets))
        object.__setattr__(self, "nontargets", tuple(self.nontargets))
        for lesion in self.targets:
            if not isinstance(lesion, TargetLesion):
                raise RecistError(ErrorCode.INVALID_VALUE, f"not a target lesion: {lesion!r}")
        for lesion in self.nontargets:
            if not isinstance(lesion, NonTargetLesion):
                raise RecistError(ErrorCode.INVALID_VALUE, f"not a non-target lesion: {lesion!r}")

    @property
    def sum_mm(self):
        """Return the baseline sum of diameters, or None without target lesions."""
        if not self.targets:
            return None
        return sum((t.diameter_mm for t in self.targets), Decimal(0))


@dataclass(frozen=True)
class FollowUp:
    """One follow-up: lesion measurements, or only an ``overall`` response assessed elsewhere.

    ``targets`` maps target id to millimetres, ``TSTM`` or None (not evaluated); ``nontargets``
    maps non-target id to a ``NonTargetStatus``. A lesion left out was not evaluated.
    """

    date: date
    targets: Mapping[str, object] = field(default_factory=dict)
    nontargets: Mapping[str, object] = field(default_factory=dict)
    new_lesions: NewLesions = NewLesions.NO
    overall: Response | None = None

    def __post_init__(self):
        _check_date(self.date, what="follow-up date")
        where = f"follow-up {self.date.isoformat()}"
        if not isinstance(self.targets, Mapping) or not isinstance(self.nontargets, Mapping):
            raise RecistError(ErrorCode.INVALID_VALUE, f"{where}: lesions must be mappings")
        targets = {
            key: to_measurement(value, what=f"{where}: target {key}")
            for key, value in self.targets.items()
        }
        nontargets = {
            key: NonTargetStatus.NE
            if value is None
            else _coerce(NonTargetStatus, value, what=f"{where}: non-target {key}")
            for key, value in self.nontargets.items()
        }
        object.__setattr__(self, "targets", MappingProxyType(targets))
        object.__setattr__(self, "nontargets", MappingProxyType(nontargets))
        object.__setattr__(
            self, "new_lesions", _coerce(NewLesions, self.new_lesions, what=f"{where}: new lesions")
        )
        if self.overall is not None:
            object.__setattr__(
                self, "overall", _coerce(Response, self.overall, what=f"{where}: overall")
            )
            if targets or nontargets:
                raise RecistError(
                    ErrorCode.INVALID_VALUE,
                    f"{where}: give either lesion assessments or an overall response, not both",
                )


@dataclass(frozen=True)
class TimePoint:
    """The response at one follow-up (RECIST 1.1 §4.4.1).

    ``sum_mm`` is the sum of diameters of every target lesion, so it is None as soon as one
    target was not evaluated (``complete`` False): the sum of the targets that were measured
    is then ``partial_sum_mm``, shown for the reader but never compared, never a nadir and
    never a change from baseline (RECIST 1.1 §4.4.2). ``nadir_mm`` is the smallest complete
    sum before it, baseline included. Sums, nadir and ``target`` are None for non-target-only
    disease and for overall-only follow-ups.
    """

    date: date
    overall: Response
    target: Response | None = None
    nontarget: Response | None = None
    new_lesions: NewLesions | None = None
    sum_mm: Decimal | None = None
    nadir_mm: Decimal | None = None
    partial_sum_mm: Decimal | None = None
    baseline_sum_mm: Decimal | None = None
    complete: bool = False

    def __post_init__(self):
        _check_date(self.date, what="time point date")
        object.__setattr__(self, "overall", _coerce(Response, self.overall, what="overall"))

    @property
    def pct_change_from_baseline(self):
        """Return the exact percent change of the sum from baseline, or None."""
        return _pct_change(self.sum_mm, self.baseline_sum_mm)

    @property
    def pct_change_from_nadir(self):
        """Return the exact percent change of the sum from the nadir, or None (nadir 0 too)."""
        return _pct_change(self.sum_mm, self.nadir_mm)


def _pct_change(value, reference):
    if value is None or not reference:
        return None
    return (Fraction(value) - Fraction(reference)) * 100 / Fraction(reference)


def validate(baseline, followups):
    """Check a baseline and its follow-ups against RECIST 1.1; raise ``RecistError`` if invalid."""
    if not isinstance(baseline, Baseline):
        raise RecistError(ErrorCode.INVALID_VALUE, f"not a baseline: {baseline!r}")
    for followup in followups:
        if not isinstance(followup, FollowUp):
            raise RecistError(ErrorCode.INVALID_VALUE, f"not a follow-up: {followup!r}")

    seen = set()
    for lesion in (*baseline.targets, *baseline.nontargets):
        if lesion.id in seen:
            raise RecistError(
                ErrorCode.DUPLICATE_LESION_ID, f"lesion id {lesion.id!r} is used more than once"
            )
        seen.add(lesion.id)

    if not baseline.targets and not baseline.nontargets:
        raise RecistError(
            ErrorCode.NO_DISEASE, "the baseline has neither target nor non-target lesions"
        )

    for lesion in baseline.targets:
        # RECIST 1.1 §3.1.1: only measurable lesions can be targets.
        if lesion.nodal and lesion.diameter_mm < MIN_NODAL_MM:
            raise RecistError(
                ErrorCode.NODAL_TOO_SMALL,
                f"nodal target {lesion.id} is {lesion.diameter_mm} mm in short axis; "
                f"a target node needs at least {MIN_NODAL_MM} mm",
            )
        if not lesion.nodal and lesion.diameter_mm < MIN_NONNODAL_MM:
            raise RecistError(
                ErrorCode.NONNODAL_TOO_SMALL,
                f"target {lesion.id} is {lesion.diameter_mm} mm; "
                f"a non-nodal target needs at least {MIN_NONNODAL_MM} mm",
            )

    if len(baseline.targets) > MAX_TARGETS:
        raise RecistError(
            ErrorCode.TOO_MANY_TARGETS,
            f"{len(baseline.targets)} target lesions; RECIST 1.1 allows at most {MAX_TARGETS}",
        )
    per_organ = {}
    for lesion in baseline.targets:
        per_organ.setdefault(lesion.organ_group, []).append(lesion.id)
    for organ, ids in per_organ.items():
        if len(ids) > MAX_TARGETS_PER_ORGAN:
            raise RecistError(
                ErrorCode.TOO_MANY_PER_ORGAN,
                f"{len(ids)} target lesions in {organ} ({', '.join(ids)}); "
                f"RECIST 1.1 allows at most {MAX_TARGETS_PER_ORGAN} per organ",
            )

    previous = baseline.date
    for followup in followups:
        if followup.date <= previous:
            raise RecistError(
                ErrorCode.UNSORTED_DATES,
                f"follow-up {followup.date.isoformat()} does not come after "
                f"{previous.isoformat()}; dates must strictly increase from baseline",
            )
        previous = followup.date

    target_ids = {t.id for t in baseline.targets}
    nontarget_ids = {n.id for n in baseline.nontargets}
    for followup in followups:
        for kind, given, known in (
            ("target", followup.targets, target_ids),
            ("non-target", followup.nontargets, nontarget_ids),
        ):
            for key in given:
                if key not in known:
                    raise RecistError(
                        ErrorCode.UNKNOWN_LESION_ID,
                        f"follow-up {followup.date.isoformat()} names {kind} {key!r}, "
                        f"which is not a baseline {kind} lesion",
                    )


def is_progression(total, nadir):
    """Return whether a sum of diameters is progression over the nadir."""
    # RECIST 1.1 §4.3.1: PD needs +20 % from nadir and +5 mm absolute.
    return total >= PD_RATIO * nadir and total - nadir >= PD_MIN_INCREASE_MM


def target_response(targets, measurements, *, baseline_sum, nadir):
    """Return the target-lesion response at one follow-up (RECIST 1.1 §4.3.1)."""
    sizes = [(lesion, lesion_size(measurements.get(lesion.id))) for lesion in targets]
    evaluated = [size for _, size in sizes if size is not None]
    total = sum(evaluated, Decimal(0))
    # RECIST 1.1 §4.4.2: missing lesions make the time point NE, unless the lesions that were
    # measured already prove PD (the missing ones could only add to the sum).
    if is_progression(total, nadir):
        return Response.PD
    if len(evaluated) < len(targets):
        return Response.NE
    # RECIST 1.1 §4.3.1: CR is disappearance of all non-nodal targets and every target node
    # under 10 mm short axis; the nodes' sizes still count in the sum.
    if all(size < NORMAL_NODE_MM if lesion.nodal else size == 0 for lesion, size in sizes):
        return Response.CR
    # RECIST 1.1 §4.3.1: PR is at least a 30 % decrease, taking the baseline sum as reference.
    if total <= PR_RATIO * baseline_sum:
        return Response.PR
    return Response.SD


def nontarget_response(nontargets, statuses):
    """Return the non-target response (RECIST 1.1 §4.3.3), or None without non-targets."""
    if not nontargets:
        return None
    found = [statuses.get(lesion.id, NonTargetStatus.NE) for lesion in nontargets]
    if NonTargetStatus.UNEQUIVOCAL_PD in found:
        return Response.PD
    if NonTargetStatus.NE in found:
        return Response.NE
    if all(status is NonTargetStatus.ABSENT for status in found):
        return Response.CR
    return Response.NON_CR_NON_PD


def overall_response(target, nontarget, new_lesions=NewLesions.NO):
    """Return the time-point response from its parts (RECIST 1.1 Tables 1 and 2).

    ``target`` is None for non-target-only disease (Table 2); ``nontarget`` is None when the
    baseline had no non-target lesions.
    """
    new_lesions = _coerce(NewLesions, new_lesions, what="new lesions")
    # RECIST 1.1 §4.3.4: an equivocal new lesion is not PD until a later scan confirms it.
    if new_lesions is NewLesions.YES or Response.PD in (target, nontarget):
        return Response.PD
    if target is None:
        if nontarget is None:
            raise RecistError(ErrorCode.NO_DISEASE, "neither target nor non-target response")
        return nontarget  # Table 2: CR, NON-CR/NON-PD or NE carry over as they are
    if target is Response.CR:
        # Table 1: CR needs the non-targets gone too; otherwise (present or not evaluated) PR.
        if nontarget in (None, Response.CR):
            return Response.CR
        return Response.PR
    # Table 1: PR, SD and NE stand whenever the non-targets are non-PD or not all evaluated.
    return target


def assess(baseline, followups):
    """Validate the assessments and return the response at each follow-up, in date order."""
    followups = tuple(followups)
    validate(baseline, followups)
    baseline_sum = baseline.sum_mm
    nadir = baseline_sum
    results = []
    for followup in followups:
        if followup.overall is not None:
            # An overall response read elsewhere is used as given; it has no sum, so it
            # cannot set the nadir either.
            results.append(TimePoint(date=followup.date, overall=followup.overall))
            continue
        nontarget = nontarget_response(baseline.nontargets, followup.nontargets)
        target = total = None
        complete = False
        if baseline.targets:
            sizes = [lesion_size(followup.targets.get(t.id)) for t in baseline.targets]
            evaluated = [size for size in sizes if size is not None]
            complete = len(evaluated) == len(sizes)
            total = sum(evaluated, Decimal(0)) if evaluated else None
            target = target_response(
                baseline.targets, followup.targets, baseline_sum=baseline_sum, nadir=nadir
            )
        results.append(
            TimePoint(
                date=followup.date,
                overall=overall_response(target, nontarget, followup.new_lesions),
                target=target,
                nontarget=nontarget,
                new_lesions=followup.new_lesions,
                sum_mm=total if complete else None,
                partial_sum_mm=None if complete else total,
                nadir_mm=nadir if baseline.targets else None,
                baseline_sum_mm=baseline_sum,
                complete=complete,
            )
        )
        # RECIST 1.1 §4.3.1: the nadir is the smallest sum on study, baseline included; only a
        # time point with every target measured has a sum to compare.
        if complete:
            nadir = min(nadir, total)
    return tuple(results)


def responses_until_progression(timepoints):
    """Return ``(date, response)`` pairs up to and including the first PD.

    A PR, SD or NON-CR/NON-PD after a CR is read as PD: the CR was truly met, so any disease
    seen later has reappeared (RECIST 1.1 Table 3, footnote a; for disease without target
    lesions, a non-target lesion present again after all had gone is that reappearance).
    """
    pairs = []
    seen_cr = False
    for point in timepoints:
        response = Response(point.overall)
        if seen_cr and response in (Response.PR, Response.SD, Response.NON_CR_NON_PD):
            response = Response.PD
        pairs.append((point.date, response))
        if response is Response.PD:
            break  # RECIST 1.1 §4.4.3: assessments after progression do not count
        seen_cr = seen_cr or response is Response.CR
    return tuple(pairs)


def first_progression_date(timepoints):
    """Return the date of the first PD (a PR or SD after CR included), or None."""
    pairs = responses_until_progression(timepoints)
    if pairs and pairs[-1][1] is Response.PD:
        return pairs[-1][0]
    return None


def _is_confirmed(pairs, index, *, confirm_days, max_ne_between):
    start, response = pairs[index]
    # Table 3: CR is confirmed by CR; PR by PR or CR ("PR then CR = PR").
    confirming = {Response.CR} if response is Response.CR else {Response.CR, Response.PR}
    unevaluable = 0
    for when, later in pairs[index + 1 :]:
        if later in confirming and (when - start).days >= confirm_days:
            return True
        if later is Response.NE:
            unevaluable += 1
            if unevaluable > max_ne_between:
                return False
        elif later not in confirming:
            return False  # a worse response in between breaks the response
    return False


# RECIST 1.1 §4.4.3: the best response recorded, in this order of preference.
PREFERENCE = (
    Response.CR,
    Response.PR,
    Response.SD,
    Response.NON_CR_NON_PD,
    Response.PD,
    Response.NE,
)


def best_overall_response(
    timepoints,
    reference_date,
    *,
    min_sd_days=42,
    confirm_days=28,
    max_ne_between=1,
    confirmation_required=True,
    target_disease=True,
):
    """Return the best overall response of a non-randomised trial (RECIST 1.1 Table 3, §4.6).

    ``timepoints`` are objects with ``date`` and ``overall`` (such as ``TimePoint``) in date
    order; ``reference_date`` is D1, the start of treatment, from which SD duration counts.
    ``confirmation_required=False`` suits randomised trials, where §4.6 waives confirmation.
    ``target_disease=False`` is a baseline without target lesions (non-measurable disease only,
    bone-only disease for instance): RECIST 1.1 Table 2 has no SD for it, so whatever would
    have been SD (an unconfirmed CR included) is NON-CR/NON-PD.
    """
    _check_date(reference_date, what="reference date")
    pairs = responses_until_progression(timepoints)
    stable = Response.SD if target_disease else Response.NON_CR_NON_PD
    found = set()
    for index, (when, response) in enumerate(pairs):
        if response in (Response.CR, Response.PR) and (
            not confirmation_required
            or _is_confirmed(pairs, index, confirm_days=confirm_days, max_ne_between=max_ne_between)
        ):
            # RECIST 1.1 §4.6.1: CR and PR must be confirmed at least 4 weeks later.
            found.add(response)
        elif (when - reference_date).days >= min_sd_days:
            # RECIST 1.1 §4.6.1: SD must be met at least once a minimum interval after D1; an
            # unconfirmed CR or PR that meets it counts as SD. NON-CR/NON-PD takes the same
            # minimum, as the analogue of SD for non-target-only disease (Table 2), where an
            # unconfirmed CR is NON-CR/NON-PD, never SD.
            if response in (Response.CR, Response.PR, Response.SD, Response.NON_CR_NON_PD):
                found.add(stable if response is not Response.NON_CR_NON_PD
                          else Response.NON_CR_NON_PD)
        if response is Response.PD:
            found.add(Response.PD)
    for response in PREFERENCE:
        if response in found:
            return response
    return Response.NE
