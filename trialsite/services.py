"""Writes to studies, sites, accounts and memberships."""

from django.conf import settings
from django.db import transaction

from trialsite.audit import audited_save
from trialsite.models import Membership, Site, Study, User


def system_user():
    """The account background jobs and commands act as in the audit trail (cannot log in)."""
    user, created = User.objects.get_or_create(
        username=settings.TRIALSITE_SYSTEM_USERNAME,
        defaults={"first_name": "trialsite", "last_name": "system", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def study_sync_from_protocol(*, actor, protocol):
    """Create or refresh the study and its sites from the protocol declaration."""
    with transaction.atomic():
        study = Study.objects.filter(code=protocol.code).first()
        if study is None:
            study = audited_save(
                Study(code=protocol.code, registry_id=protocol.registry_id, title=protocol.title,
                      status=Study.Status.RECRUITING),
                actor=actor,
            )
        existing = {s.code: s for s in Site.objects.filter(study=study)}
        for declared in protocol.sites:
            if declared.code in existing:
                continue
            audited_save(
                Site(study=study, code=declared.code, name=declared.name, city=declared.city,
                     country=declared.country, time_zone=declared.time_zone,
                     target_enrolment=declared.target_enrolment),
                actor=actor,
            )
        return study


def membership_grant(*, actor, user, study, role, site=None):
    existing = Membership.objects.active().filter(user=user, study=study, site=site, role=role)
    if existing.exists():
        return existing.get()
    return audited_save(Membership(user=user, study=study, site=site, role=role), actor=actor)
