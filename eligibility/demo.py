"""Demo screenings: each demo patient is screened and signed (or fails) for real; the visits
app enrols the signed ones, since enrolment creates the visit schedule."""

from django.db import transaction

from eligibility import services
from eligibility.domain.screening import example_values
from enrollment.domain.lifecycle import PatientStatus
from trialsite.models import Role

S = PatientStatus


def seed(context):
    rng = context["rng"]
    for patient, final in context.get("demo_patients", []):
        protocol = patient.site.study.protocol
        staff = context["site_staff"][patient.site.code]
        coordinator = staff[Role.COORDINATOR][0]
        investigator, password = staff[Role.INVESTIGATOR]
        with transaction.atomic():
            if final == S.SCREENING:
                if rng.random() < 0.5:
                    services.screening_save(
                        actor=coordinator, patient=patient,
                        values=example_values(protocol, patient.consent_date, incomplete=True))
                continue
            failing = final == S.SCREEN_FAILED
            screening = services.screening_save(
                actor=coordinator, patient=patient,
                values=example_values(protocol, patient.consent_date, failing=failing))
            if failing:
                services.screening_record_failure(
                    actor=coordinator, screening=screening, reason="Demo screen failure")
                continue
            screening = services.screening_confirm(
                actor=investigator, screening=screening, password=password)
            context.setdefault("to_enrol", []).append((screening, final))
