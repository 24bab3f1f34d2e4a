"""Demo patients: registered through the real service at every site of both studies."""

from datetime import timedelta

from django.db import transaction

from enrollment import services
from enrollment.domain.lifecycle import PatientStatus
from enrollment.models import Patient
from trialsite.models import Role, Site

S = PatientStatus

# How many patients each study gets, and how many end up in each status.
PLAN = {
    "ICRG0201": {S.SCREENING: 6, S.SCREEN_FAILED: 6, S.ENROLLED: 6, S.ON_TREATMENT: 14,
                 S.OFF_TREATMENT: 4, S.OFF_STUDY: 4},
    "PALMARES-2": {S.SCREENING: 12, S.SCREEN_FAILED: 8, S.ENROLLED: 20, S.ON_TREATMENT: 110,
                   S.OFF_TREATMENT: 35, S.OFF_STUDY: 15},
}


def seed(context):
    """Register the demo patients (all in screening); later apps take them further."""
    rng, today = context["rng"], context["today"]
    planned = []
    for code, counts in PLAN.items():
        study = context["studies"][code]
        statuses = [status for status, n in counts.items() for _ in range(n)]
        rng.shuffle(statuses)
        if Patient.objects.filter(site__study=study).count() >= len(statuses):
            continue
        protocol = study.protocol
        sites = list(Site.objects.filter(study=study).select_related("study").order_by("code"))
        weights = [s.target_enrolment for s in sites]
        for index, final in enumerate(statuses):
            site = sites[index] if index < len(sites) else rng.choices(sites, weights)[0]
            actor = context["site_staff"][site.code][Role.COORDINATOR][0]
            female = "M" not in protocol.sexes or rng.random() > 0.02
            consent = today - timedelta(days=rng.randint(30, 700))
            with transaction.atomic():
                patient = services.patient_register(
                    actor=actor, site=site, sex="F" if female else "M",
                    birth_date=consent - timedelta(days=rng.randint(32 * 365, 82 * 365)),
                    consent_date=consent, consent_version=rng.choice(protocol.consent_versions),
                    today=today,
                )
            planned.append((patient, final))
        context["stdout"].write(f"{code}: {len(statuses)} demo patients registered")
    context["demo_patients"] = planned
