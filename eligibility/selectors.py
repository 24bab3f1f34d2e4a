from django.http import Http404

from eligibility.models import Screening
from enrollment.selectors import patient_get
from trialsite.audit import history_entries


def screening_of(patient):
    """The patient's screening, reusing the loaded patient (and its site and study)."""
    screening = Screening.objects.select_related("confirmed_by").filter(patient=patient).first()
    if screening is not None:
        screening.patient = patient
    return screening


def patient_and_screening(*, user, subject_id):
    patient = patient_get(user=user, subject_id=subject_id)
    return patient, screening_of(patient)


def values_shown(values, patient, *, birth_date_visible=True):
    """Screening values as a viewer may see them: a sponsor sees the age, not the birth date."""
    values = dict(values or {})
    if not birth_date_visible and "birth_date" in values:
        del values["birth_date"]
        values["age_at_consent"] = patient.age_at_consent
    return values


def screening_history(screening, patient, *, birth_date_visible=True):
    if screening is None:
        return []
    rows = screening.history.select_related("history_user").all()
    redact = None
    if not birth_date_visible:
        redact = {"values": ("Screening values", lambda row: values_shown(
            row.values, patient, birth_date_visible=False))}
    return history_entries(rows, time_zone=patient.site.time_zone, redact=redact)


def screen_failure_log(*, site):
    """Screen failures at a site, and how often each criterion failed (one query)."""
    failures = list(
        Screening.objects.filter(patient__site=site, screen_failed_at__isnull=False)
        .select_related("patient")
        .order_by("screen_failed_at")
    )
    counts = {}
    for screening in failures:
        for code in screening.failed_criteria:
            counts[code] = counts.get(code, 0) + 1
    return failures, counts


def require_screening(screening):
    if screening is None:
        raise Http404("No screening yet")
    return screening
