"""System checks that refuse to start with an inconsistent protocol declaration."""

import re
from zoneinfo import available_timezones

from django.core import checks

from trialsite.protocols import all_protocols

REGISTRY_ID = re.compile(r"^NCT\d{8}$")
SITE_CODE = re.compile(r"^[A-Z0-9]{2,12}$")


def protocol_errors(protocol):
    """Every inconsistency in one protocol, as messages (pure: usable in tests on bad data)."""
    errors = []
    where = protocol.code
    if not REGISTRY_ID.match(protocol.registry_id):
        errors.append(f"{where}: registry id {protocol.registry_id!r} is not NCT + 8 digits")
    if not protocol.sexes or not protocol.sexes <= {"F", "M"}:
        errors.append(f"{where}: sexes must be a non-empty subset of F, M")
    if protocol.min_age_years < 0:
        errors.append(f"{where}: minimum age is negative")
    if protocol.max_age_years is not None and protocol.max_age_years < protocol.min_age_years:
        errors.append(f"{where}: maximum age is below the minimum age")
    if protocol.target_enrolment <= 0:
        errors.append(f"{where}: target enrolment must be positive")
    drug_codes = [d.code for d in protocol.drugs]
    if len(drug_codes) != len(set(drug_codes)):
        errors.append(f"{where}: drug codes are not unique")
    for drug in protocol.drugs:
        levels = drug.dose_levels_mg
        if any(level <= 0 for level in levels):
            errors.append(f"{where}: {drug.code} has a dose level that is not positive")
        if list(levels) != sorted(set(levels), reverse=True):
            errors.append(f"{where}: {drug.code} dose levels must be distinct, highest first")
        if drug.cycle_days < 0 or not 0 <= drug.max_days_on_per_cycle <= drug.cycle_days:
            errors.append(f"{where}: {drug.code} days on drug must be 0 to its cycle length")
    site_codes = [s.code for s in protocol.sites]
    if len(site_codes) != len(set(site_codes)):
        errors.append(f"{where}: site codes are not unique")
    zones = available_timezones()
    for site in protocol.sites:
        if not SITE_CODE.match(site.code):
            errors.append(f"{where}: site code {site.code!r} must be 2-12 capitals or digits")
        if site.time_zone not in zones:
            errors.append(f"{where}: site {site.code} has unknown time zone {site.time_zone!r}")
    if not protocol.consent_versions:
        errors.append(f"{where}: at least one consent version is needed")
    return errors


@checks.register()
def check_protocols(app_configs=None, **kwargs):
    messages = []
    seen_sites = {}
    for protocol in all_protocols():
        for text in protocol_errors(protocol):
            messages.append(checks.Error(text, id="trialsite.E001"))
        for site in protocol.sites:
            if site.code in seen_sites:
                messages.append(
                    checks.Error(
                        f"site code {site.code} is declared by {seen_sites[site.code]} and "
                        f"{protocol.code}; subject ids would collide",
                        id="trialsite.E002",
                    )
                )
            seen_sites[site.code] = protocol.code
    return messages
