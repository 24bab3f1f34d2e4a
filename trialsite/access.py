"""Who may see and do what: the one place that decides, for pages, API and exports alike.

A record the user may not see is treated as absent (404), so another site's data does not even
reveal that it exists.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from trialsite.models import (
    CLINICAL_READ_ROLES,
    DATA_ENTRY_ROLES,
    STUDY_WIDE_ROLES,
    Membership,
    Role,
    Site,
    Study,
)


def _memberships(user):
    """The user's active memberships, loaded once per request object."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_trialsite_memberships", None)
    if cached is None:
        cached = list(Membership.objects.active().filter(user=user).select_related("study", "site"))
        user._trialsite_memberships = cached
    return cached


def roles_of(user):
    return {m.role for m in _memberships(user)}


def _scope(user, roles):
    """(site ids, study ids) the user covers with one of ``roles``."""
    site_ids, study_ids = set(), set()
    for m in _memberships(user):
        if m.role not in roles:
            continue
        if m.role in STUDY_WIDE_ROLES:
            study_ids.add(m.study_id)
        else:
            site_ids.add(m.site_id)
    return site_ids, study_ids


def site_filter(user, roles=CLINICAL_READ_ROLES, prefix="site"):
    """A Q that keeps rows whose site (reached through ``prefix``) the user covers."""
    if user.is_authenticated and user.is_superuser:
        return Q()
    site_ids, study_ids = _scope(user, roles)
    return Q(**{f"{prefix}__in": site_ids}) | Q(**{f"{prefix}__study__in": study_ids})


def laboratories_of(user, study):
    """Laboratory codes of ``study`` the user works for (every one for a superuser). A
    central-lab membership naming no laboratory covers none, as in ``laboratory_filter``."""
    plan = study.protocol.sample_plan
    every = {lab.code for lab in plan.labs} if plan else set()
    if user.is_authenticated and user.is_superuser:
        return every
    codes = set()
    for m in _memberships(user):
        if m.role == Role.CENTRAL_LAB and m.study_id == study.pk:
            codes |= {m.laboratory} if m.laboratory else set()
    return codes & every


def sites_visible_to(user, queryset=None, roles=CLINICAL_READ_ROLES):
    qs = Site.objects.all() if queryset is None else queryset
    if user.is_authenticated and user.is_superuser:
        return qs
    site_ids, study_ids = _scope(user, roles)
    return qs.filter(Q(pk__in=site_ids) | Q(study__in=study_ids))


def studies_visible_to(user, queryset=None):
    qs = Study.objects.all() if queryset is None else queryset
    if user.is_authenticated and user.is_superuser:
        return qs
    return qs.filter(pk__in={m.study_id for m in _memberships(user)})


def can_enter_data(user, site):
    """Coordinators and investigators enter and correct data at their own sites."""
    return any(
        m.role in DATA_ENTRY_ROLES and m.site_id == site.pk for m in _memberships(user)
    )


def has_role_at(user, role, site):
    """Whether the user holds ``role`` at ``site`` (site roles) or for its study."""
    return any(
        m.role == role
        and (m.site_id == site.pk or (m.site_id is None and m.study_id == site.study_id))
        for m in _memberships(user)
    )


def has_study_role(user, role, study):
    """Whether the user holds the study-wide ``role`` for ``study``."""
    return any(m.role == role and m.study_id == study.pk for m in _memberships(user))


def require_data_entry(user, site):
    if not can_enter_data(user, site):
        raise PermissionDenied("Only the site's coordinators and investigators enter data here.")


def data_entry_sites(user):
    """Sites where the user may register patients and enter data."""
    ids = {m.site_id for m in _memberships(user) if m.role in DATA_ENTRY_ROLES}
    return Site.objects.filter(pk__in=ids).select_related("study")


def sees_birth_date(user, site):
    """Whether ``user`` may see patients' birth dates at ``site``.

    Sponsors see data pseudonymised: the age, never the birth date, on every page and in the
    audit trail, as in the API and exports. Any other clinical role covering the site (the
    site's staff, its monitor, the study's data manager) sees it, and so does an administrator.
    """
    if user.is_authenticated and user.is_superuser:
        return True
    return any(
        m.role in CLINICAL_READ_ROLES and m.role != Role.SPONSOR
        and (m.site_id == site.pk or (m.site_id is None and m.study_id == site.study_id))
        for m in _memberships(user)
    )


def laboratory_filter(user, *, study_path, lab_path):
    """A Q keeping rows addressed to a laboratory the user works for (central laboratory role).

    Each central-lab membership names its laboratory; a membership without one (created before
    laboratories were required) sees nothing until an administrator sets it.
    """
    if user.is_authenticated and user.is_superuser:
        return Q()
    q = Q(pk__in=[])
    for m in _memberships(user):
        if m.role == Role.CENTRAL_LAB and m.laboratory:
            q |= Q(**{study_path: m.study_id, lab_path: m.laboratory})
    return q


def works_for_laboratory(user, study, laboratory):
    """Whether ``user`` is the central laboratory ``laboratory`` of ``study``."""
    return any(m.role == Role.CENTRAL_LAB and m.study_id == study.pk
               and m.laboratory == laboratory for m in _memberships(user))
