"""The patients' responses, for analyses that live beside (not above) the outcomes app.

``biosamples.spectra`` needs each patient's response to train the fingerprint classifier, and
``biosamples`` and ``outcomes`` never import each other. ``outcomes`` registers the provider
from its ``AppConfig.ready()``; the analysis asks here. The provider is study-wide and ignores
the user: callers check the study-wide role that entitles the user to the responses.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PatientResponse:
    patient_id: int
    subject_id: str
    site_code: str
    #: Age in whole years on day 1.
    age_years: int | None
    #: Best overall response code (RECIST 1.1), "" when not computable.
    best_overall_response: str
    #: Confirmed CR or PR; None when the response is not evaluable.
    responder: bool | None
    #: PD or death within 6 months of day 1; None when followed less than that without either.
    early_progression: bool | None


_PROVIDER: list[Callable] = []


def register(provider):
    """``provider(study) -> list[PatientResponse]`` of every enrolled patient of the study."""
    _PROVIDER[:] = [provider]


def responses_for(study):
    if not _PROVIDER:
        raise LookupError("no response provider is registered (is the outcomes app installed?)")
    return {r.patient_id: r for r in _PROVIDER[0](study)}
