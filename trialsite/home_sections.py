"""Home sections that need nothing above ``trialsite``."""

from trialsite import access
from trialsite.home import HomeSection, register
from trialsite.models import Role


def _central_lab(user):
    studies = access.studies_visible_to(user).filter(
        memberships__user=user, memberships__role=Role.CENTRAL_LAB,
        memberships__voided_at__isnull=True,
    ).distinct()
    return {"studies": studies}


def _audit_trail(user):
    from trialsite.models import AuditTrailVerification

    return {"verification": AuditTrailVerification.objects.order_by("-started_at").first()}


def register_sections():
    register(HomeSection(
        key="central_lab", title="Central laboratory", template="home/central_lab.html",
        roles=frozenset({Role.CENTRAL_LAB}), order=40, context=_central_lab,
    ))
    register(HomeSection(
        key="audit_trail", title="Audit trail integrity", template="home/audit_trail.html",
        roles=frozenset({Role.MONITOR, Role.DATA_MANAGER, "admin"}), order=90,
        context=_audit_trail,
    ))
