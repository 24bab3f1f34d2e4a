from django.utils import timezone

from trialsite import access
from trialsite.home import HomeSection, register
from trialsite.models import Role
from visits import selectors
from visits.crf import selectors as crf_selectors


def _week(user):
    sites = list(access.data_entry_sites(user))
    visits = selectors.home_visits(user=user, sites=sites, today=timezone.localdate())
    return {
        "sites": sites,
        "groups": [("Window open now", "open", visits["open"]),
                   ("Window opens within 7 days", "soon", visits["soon"]),
                   ("Overdue", "overdue", visits["overdue"])],
        "missing": crf_selectors.home_missing_forms(user=user, sites=sites),
        "serious": crf_selectors.home_serious_adverse_events(user=user, sites=sites),
        "sae_days": crf_selectors.SAE_DAYS,
    }


def register_sections():
    register(HomeSection(
        key="visits_week", title="This week's visits", template="home/visits_week.html",
        roles=frozenset({Role.COORDINATOR, Role.INVESTIGATOR}), order=5, context=_week,
    ))
