"""What monitoring reads of patients: its patient level and the enrolment counts."""

from django.db.models import Count
from django.urls import reverse

from enrollment.domain.lifecycle import PatientStatus
from enrollment.models import Enrolment, Patient
from enrollment.selectors import enrolled_q


def dashboard_counts(study, sites):
    """Screened and enrolled patients, enrolment dates and why patients left the study."""
    patients = Patient.objects.active().filter(site__in=sites)
    by_status = dict(patients.values_list("status").annotate(n=Count("pk")))
    enrolled_states = (PatientStatus.ENROLLED, PatientStatus.ON_TREATMENT,
                       PatientStatus.OFF_TREATMENT)
    enrolments = Enrolment.objects.filter(patient__site__in=sites).filter(
        enrolled_q("patient__"))
    dates = sorted(d.date() for d in enrolments.values_list("created_at", flat=True))
    withdrawn = dict(
        patients.filter(status=PatientStatus.OFF_STUDY, enrolment__isnull=False)
        .exclude(withdrawal_reason="").values_list("withdrawal_reason")
        .annotate(n=Count("pk"))
    )
    return {
        "screened": sum(by_status.values()),
        "enrolled": len(dates),
        "enrolment_dates": dates,
        "on_treatment_or_after": sum(by_status.get(s, 0) for s in
                                     (PatientStatus.ON_TREATMENT, PatientStatus.OFF_TREATMENT)),
        "still_enrolled": sum(by_status.get(s, 0) for s in enrolled_states),
        "off_study_reasons": withdrawn,
        "screening_now": by_status.get(PatientStatus.SCREENING, 0),
    }


def record_url(record):
    if isinstance(record, Patient):
        return reverse("patient-detail", args=[record.subject_id])
    return None


def register():
    from enrollment import casebook
    from trialsite.monitoring import registry, selectors

    registry.register_level("patient", Patient, label_field="subject_id")
    registry.register_record_url(record_url)
    registry.register_dashboard_source(dashboard_counts)
    casebook.register(casebook.CasebookPanel(
        key="monitoring", title="Monitoring: signature, queries, audit trail",
        template="monitoring/_casebook_panel.html", order=90,
        context=lambda patient, user: selectors.casebook_panel(patient, user),
    ))
