from trialsite import access
from trialsite.models import DATA_ENTRY_ROLES, Role


def navigation(request):
    """Menu entries that fit the user's roles (one cached membership query per request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    roles = access.roles_of(user)
    nav = [("home", "Home")]
    readers = DATA_ENTRY_ROLES | {Role.MONITOR, Role.DATA_MANAGER, Role.SPONSOR}
    if roles & readers or user.is_superuser:
        nav.append(("patient-list", "Patients"))
        nav.append(("site-list", "Sites"))
    if roles & DATA_ENTRY_ROLES:
        nav.append(("patient-register", "Register patient"))
    if roles & (readers | DATA_ENTRY_ROLES) or user.is_superuser:
        nav.append(("query-list", "Queries"))
    if roles & {Role.MONITOR, Role.DATA_MANAGER, Role.SPONSOR} or user.is_superuser:
        nav.append(("monitoring-home", "Monitoring"))
    # Site coordinators enter data in the pages; exports and the API are for the other roles.
    beyond_entry = roles - {Role.COORDINATOR}
    if beyond_entry & readers or user.is_superuser:
        nav.append(("exports", "Exports"))
    if roles & {Role.DATA_MANAGER, Role.INVESTIGATOR} or user.is_superuser:
        nav.append(("site-archives", "Site archives"))
    if beyond_entry or user.is_superuser:
        nav.append(("api-access", "API access"))
        nav.append(("api-docs", "API"))
    if user.is_staff:
        nav.append(("admin:index", "Admin"))
    return {"nav": nav, "user_roles": sorted(Role(r).label for r in roles)}
