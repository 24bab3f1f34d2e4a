"""Reads shared by the patient pages and the API."""

from django.db.models import Count, Q
from django.http import Http404

from enrollment.domain.lifecycle import PatientStatus, age_in_years
from enrollment.models import Patient
from trialsite.audit import history_entries


def patient_list(*, user, site=None, include_voided=False, status=None):
    qs = Patient.objects.visible_to(user).select_related("site", "site__study")
    if site is not None:
        qs = qs.filter(site=site)
    if status:
        qs = qs.filter(status=status)
    if not include_voided:
        qs = qs.active()
    return qs.order_by("site__code", "subject_number")


def patient_get(*, user, subject_id):
    """The patient if the user may see it; otherwise 404, whether it exists or not."""
    try:
        return (
            Patient.objects.visible_to(user)
            .select_related("site", "site__study", "enrolment")
            .get(subject_id=subject_id)
        )
    except Patient.DoesNotExist:
        raise Http404("No such patient") from None


#: How a viewer who may not see birth dates (a sponsor) sees the birth date in a trail.
AGE_INSTEAD_OF_BIRTH_DATE = {
    "birth_date": ("Age at consent (birth date withheld)",
                   lambda row: age_in_years(row.birth_date, row.consent_date)),
}


def patient_history(patient, *, birth_date_visible=True):
    rows = patient.history.select_related("history_user").all()
    return history_entries(rows, time_zone=patient.site.time_zone,
                           redact=None if birth_date_visible else AGE_INSTEAD_OF_BIRTH_DATE)


def sites_with_counts(*, user, study=None):
    """Visible sites with active patients counted by status, in one query."""
    from trialsite import access

    sites = access.sites_visible_to(user).select_related("study")
    if study is not None:
        sites = sites.filter(study=study)
    active = Q(patients__voided_at__isnull=True)
    counts = {
        f"n_{s.value}": Count("patients", filter=active & Q(patients__status=s.value))
        for s in PatientStatus
    }
    return sites.annotate(n_total=Count("patients", filter=active), **counts).order_by(
        "study__code", "code"
    )


#: Statuses that count as enrolled, for enrolment-versus-target figures.
ENROLLED_STATUSES = (
    PatientStatus.ENROLLED, PatientStatus.ON_TREATMENT, PatientStatus.OFF_TREATMENT,
)


def totals(sites):
    """Column totals of ``sites_with_counts`` rows (computed in Python over the loaded rows)."""
    keys = ["n_total", "target_enrolment"] + [f"n_{s.value}" for s in PatientStatus]
    out = {k: 0 for k in keys}
    for site in sites:
        for k in keys:
            out[k] += getattr(site, k)
    return out
