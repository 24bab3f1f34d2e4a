"""Shared set-up of the monitoring tests: an enrolled patient with baseline forms entered."""

from tests.visits.crf.test_services import enrolled_patient, save, visit_of  # noqa: F401


def patient_with_baseline(world, *forms):
    from trialsite.models import Role

    coordinator = world.users[Role.COORDINATOR]
    patient = enrolled_patient(world)
    records = {}
    for code in forms or ("performance_status", "vital_signs"):
        records[code] = save(code, coordinator, visit_of(patient, "BL"))
    return patient, records


def correct(form_code, actor, visit, record, reason="Transcription error", **changes):
    """Correct a saved visit form through its service, as the page does."""
    from tests.visits.crf.test_services import SAVE

    service, values = SAVE[form_code]
    return service(actor=actor, visit=visit, values={**values, **changes},
                   expected_version=record.version, reason=reason)
