"""Reads shared by the patient pages and the API."""

from django.db.models import Count, Q
from django.http import Http404

from enrollment.domain.lifecycle import PatientStatus, age_in_years
from enrollment.models import Patient
from trialsite.audit import history_entries
from trialsite.pagination import DEFAULT_PAGE_SIZE, keyset_page

#: The patient list's order: by site, then subject number (the id breaks no tie, it is there
#: because a keyset needs a unique last key).
PATIENT_LIST_ORDER = ("site__code", "subject_number", "id")


def enrolled_q(prefix=""):
    """The one definition of an enrolled patient, as a filter (``prefix`` reaches the patient
    from another model, ``"patients__"`` from a site): not voided, with an enrolment that is
    not voided, whatever happened since (on or off treatment, off study after death or
    withdrawal). It is ICRG0201's intent-to-treat population, "all patients enrolled in the
    study"; every count of enrolled patients and every efficacy population starts from it."""
    return Q(**{f"{prefix}voided_at__isnull": True, f"{prefix}enrolment__isnull": False,
                f"{prefix}enrolment__voided_at__isnull": True})


def enrolled_patients(*, user, study=None, site=None):
    """Enrolled patients (``enrolled_q``) the user may see, with site, study and enrolment."""
    qs = (Patient.objects.visible_to(user).filter(enrolled_q())
          .select_related("site", "site__study", "enrolment"))
    if study is not None:
        qs = qs.filter(site__study=study)
    if site is not None:
        qs = qs.filter(site=site)
    return qs.order_by("site__code", "subject_number")


def patient_list(*, user, site=None, include_voided=False, status=None):
    qs = Patient.objects.visible_to(user).select_related("site", "site__study")
    if site is not None:
        qs = qs.filter(site=site)
    if status:
        qs = qs.filter(status=status)
    if not include_voided:
        qs = qs.active()
    return qs.order_by(*PATIENT_LIST_ORDER)


def patient_page(patients, *, cursor=None, size=DEFAULT_PAGE_SIZE):
    """One page of ``patients`` (a ``patient_list``), in the list's order, after ``cursor``."""
    return keyset_page(patients, keys=PATIENT_LIST_ORDER, cursor=cursor, size=size)


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
    """The patient record's own versions, newest first. Its foreign keys name the site, which the
    loaded patient already has: no query to name it unless a version names another site."""
    rows = list(patient.history.select_related("history_user"))
    labels = None
    relations = [f.name for f in Patient._meta.concrete_fields if f.is_relation]
    if relations == ["site"] and {row.site_id for row in rows} <= {patient.site_id}:
        labels = {"site": {patient.site_id: str(patient.site)}}
    return history_entries(rows, time_zone=patient.site.time_zone, foreign_labels=labels,
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
    return sites.annotate(
        n_total=Count("patients", filter=active),
        n_ever_enrolled=Count("patients", filter=enrolled_q("patients__")),
        **counts,
    ).order_by("study__code", "code")


def totals(sites):
    """Column totals of ``sites_with_counts`` rows (computed in Python over the loaded rows)."""
    keys = (["n_total", "n_ever_enrolled", "target_enrolment"]
            + [f"n_{s.value}" for s in PatientStatus])
    out = {k: 0 for k in keys}
    for site in sites:
        for k in keys:
            out[k] += getattr(site, k)
    return out
