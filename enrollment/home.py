"""The patient sections of the home page, per role."""

from itertools import groupby

from enrollment import selectors
from trialsite import access
from trialsite.home import HomeSection, register
from trialsite.models import Role


def _site_patients(user):
    sites = selectors.sites_with_counts(user=user).filter(
        pk__in=access.data_entry_sites(user).values("pk")
    )
    recent = selectors.patient_list(user=user).filter(site__in=sites).order_by("-updated_at")[:15]
    return {"sites": sites, "recent": recent}


def _monitored_sites(user):
    sites = selectors.sites_with_counts(user=user).filter(
        pk__in=access.sites_visible_to(user, roles={Role.MONITOR}).values("pk")
    )
    return {"sites": sites}


def _study_overview(user):
    sites = list(selectors.sites_with_counts(user=user))
    studies = []
    for study, rows in groupby(sites, key=lambda s: s.study):
        rows = list(rows)
        totals = selectors.totals(rows)
        # Enrolled as every page counts it (selectors.enrolled_q): a patient who died or
        # withdrew after enrolment is off study but was enrolled, and counts toward the target.
        enrolled = totals["n_ever_enrolled"]
        studies.append({"study": study, "sites": rows, "totals": totals, "enrolled": enrolled,
                        "target": study.protocol.target_enrolment})
    return {"studies": studies}


def register_sections():
    register(HomeSection(
        key="site_patients", title="My sites' patients", template="home/site_patients.html",
        roles=frozenset({Role.COORDINATOR, Role.INVESTIGATOR}), order=10, context=_site_patients,
    ))
    register(HomeSection(
        key="monitored_sites", title="Sites I monitor", template="home/monitored_sites.html",
        roles=frozenset({Role.MONITOR}), order=20, context=_monitored_sites,
    ))
    register(HomeSection(
        key="study_overview", title="Study overview", template="home/study_overview.html",
        roles=frozenset({Role.DATA_MANAGER, Role.SPONSOR, "admin"}), order=30,
        context=_study_overview,
    ))
