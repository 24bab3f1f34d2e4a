"""Writes to studies, sites, accounts and memberships."""

import logging

from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone

from trialsite import audit_chain
from trialsite.audit import audited_save
from trialsite.models import AuditTrailVerification, Membership, Site, Study, User

logger = logging.getLogger("trialsite.audit_chain")


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


def membership_grant(*, actor, user, study, role, site=None, laboratory=""):
    """Grant ``role``; the central laboratory role names its ``laboratory`` (a lab code)."""
    existing = Membership.objects.active().filter(user=user, study=study, site=site, role=role)
    if existing.exists():
        return existing.get()
    return audited_save(Membership(user=user, study=study, site=site, role=role,
                                   laboratory=laboratory), actor=actor)


def audit_trail_verify(*, using="default"):
    """Verify the audit trail's hash chains, record the outcome, and alert on a break.

    The outcome is stored for monitors (home page) and logged; a break is logged at CRITICAL
    with each location and e-mailed to ``ADMINS``. Each run also checks that the chain heads the
    previous intact run recorded are still there, so a chain rewritten end to end is caught.
    """
    started = timezone.now()
    last_intact = (
        AuditTrailVerification.objects.using(using)
        .filter(outcome=AuditTrailVerification.Outcome.INTACT).order_by("-started_at").first()
    )
    report = audit_chain.verify(
        using=using, previous_heads=last_intact.heads if last_intact else None
    )
    if not report.available:
        outcome = AuditTrailVerification.Outcome.NOT_AVAILABLE
    elif report.breaks:
        outcome = AuditTrailVerification.Outcome.BROKEN
    else:
        outcome = AuditTrailVerification.Outcome.INTACT
    verification = AuditTrailVerification.objects.using(using).create(
        started_at=started, finished_at=timezone.now(), outcome=outcome,
        tables_checked=report.tables_checked, rows_checked=report.rows_checked,
        breaks=report.breaks[:1000], heads=report.heads,
    )
    if outcome == AuditTrailVerification.Outcome.BROKEN:
        lines = [
            f"{b['table']}: {b['problem']}"
            + (f" (history row {b['history_id']}, record {b['record_id']})"
               if b["history_id"] is not None else "")
            + (f" [link {b['seq']}]" if b["seq"] is not None else "")
            for b in report.breaks
        ]
        logger.critical("Audit trail verification found %d break(s):\n%s",
                        len(report.breaks), "\n".join(lines))
        try:
            mail_admins(
                f"Audit trail verification: {len(report.breaks)} break(s) found",
                "The audit trail's hash chain no longer matches its rows. Locations:\n\n"
                + "\n".join(lines)
                + "\n\nInvestigate before anything else: see docs/security.md.",
            )
        except OSError:  # the CRITICAL log line above is the alert of record
            logger.exception("Audit trail verification: the alert e-mail could not be sent")
    else:
        logger.info("Audit trail verification: %s, %d tables, %d rows; heads %s",
                    outcome, report.tables_checked, report.rows_checked, report.heads)
    return verification
