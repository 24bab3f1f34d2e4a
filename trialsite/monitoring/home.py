"""The home page's query counts, for every role that sees queries."""

from trialsite.home import HomeSection, register
from trialsite.models import Role


def _queries(user):
    from trialsite.monitoring import selectors

    return {"counts": selectors.query_counts(user),
            "reviewer": bool({Role.MONITOR, Role.DATA_MANAGER} & _roles(user)),
            "dashboard": bool(selectors.DASHBOARD_ROLES & _roles(user))}


def _roles(user):
    from trialsite import access

    return access.roles_of(user)


def register_sections():
    register(HomeSection(
        key="queries", title="Data queries", template="home/queries.html",
        roles=frozenset({Role.COORDINATOR, Role.INVESTIGATOR, Role.MONITOR, Role.DATA_MANAGER,
                         Role.SPONSOR}),
        order=1, context=_queries,
    ))
