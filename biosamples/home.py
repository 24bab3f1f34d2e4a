"""Home sections: sample problems for coordinators and monitors, work for the central lab."""

from biosamples import selectors
from trialsite import access
from trialsite.home import HomeSection, register
from trialsite.models import Role


def _site_flags(user):
    sites = list(access.data_entry_sites(user))
    return {"flags": selectors.open_flags(user, sites), "sites": sites}


def _monitor_flags(user):
    sites = list(access.sites_visible_to(user, roles={Role.MONITOR}))
    return {"flags": selectors.open_flags(user, sites), "sites": []}


def _lab(user):
    return {"shipments": [s for s in selectors.lab_shipments(user) if s.status == "shipped"]}


def _statistician(user):
    from biosamples.spectra.selectors import statistician_studies

    return {"studies": statistician_studies(user)}


def register_sections():
    register(HomeSection(
        key="sample_flags", title="Samples needing attention",
        template="biosamples/_home_flags.html",
        roles=frozenset({Role.COORDINATOR, Role.INVESTIGATOR}), order=8, context=_site_flags))
    register(HomeSection(
        key="sample_flags_monitor", title="Sample problems at your sites",
        template="biosamples/_home_flags.html", roles=frozenset({Role.MONITOR}), order=12,
        context=_monitor_flags))
    register(HomeSection(
        key="lab_shipments", title="Shipments to receive",
        template="biosamples/_home_lab.html", roles=frozenset({Role.CENTRAL_LAB}), order=41,
        context=_lab))
    register(HomeSection(
        key="fingerprint", title="Plasma fingerprint analysis",
        template="biosamples/spectra/_home_statistician.html",
        roles=frozenset({Role.STATISTICIAN}), order=42, context=_statistician))
