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


def register_sections():
    register(HomeSection(
        key="central_lab", title="Central laboratory", template="home/central_lab.html",
        roles=frozenset({Role.CENTRAL_LAB}), order=40, context=_central_lab,
    ))
