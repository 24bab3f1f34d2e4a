"""Demo data of the lowest app: both studies, their sites, one login per role.

``manage.py seed_demo`` calls the ``demo.seed(context)`` of every app, in app order, so each app
adds its own synthetic data without a lower app importing a higher one.
"""

import secrets

from django.contrib.auth.hashers import make_password

from trialsite.models import Role, Site, User
from trialsite.protocols import all_protocols
from trialsite.services import membership_grant, study_sync_from_protocol

DEMO_PASSWORD = "trialsite-demo-2026"

# (username, first name, last name, role, study, site code or None for study-wide)
DEMO_USERS = [
    ("coordinator", "Rana", "Haddad", Role.COORDINATOR, "ICRG0201", "JOKHC"),
    ("investigator", "Omar", "Khalil", Role.INVESTIGATOR, "ICRG0201", "JOKHC"),
    ("monitor", "Nadia", "Benali", Role.MONITOR, "ICRG0201", "JOKHC"),
    ("monitor", "Nadia", "Benali", Role.MONITOR, "ICRG0201", "DZBLI"),
    ("monitor", "Nadia", "Benali", Role.MONITOR, "ICRG0201", "SAKSM"),
    ("datamanager", "Karim", "Mansour", Role.DATA_MANAGER, "ICRG0201", None),
    ("datamanager", "Karim", "Mansour", Role.DATA_MANAGER, "PALMARES-2", None),
    ("sponsor", "Leila", "Farouk", Role.SPONSOR, "ICRG0201", None),
    ("centrallab", "Jonas", "Weber", Role.CENTRAL_LAB, "ICRG0201", None),
    ("ramanlab", "Ines", "Haddad", Role.CENTRAL_LAB, "ICRG0201", None),
    ("statistician", "Sara", "Nasser", Role.STATISTICIAN, "ICRG0201", None),
    ("coordinator.it", "Giulia", "Romano", Role.COORDINATOR, "PALMARES-2", "ITMI1"),
    ("investigator.it", "Luca", "Bianchi", Role.INVESTIGATOR, "PALMARES-2", "ITMI1"),
    ("sponsor.it", "Marco", "Ricci", Role.SPONSOR, "PALMARES-2", None),
]


#: The laboratory each demo central-lab account works for (the sample plan's lab codes): the
#: quantum-optics central laboratory, and the Raman benchmark laboratory.
DEMO_LABORATORIES = {"centrallab": "QOLAB", "ramanlab": "RAMAN"}


def _account(username, first, last, password=None, hasher="default"):
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.invalid",
                  # The printed demo logins use the production hasher, whatever the seed uses.
                  "password": lambda: make_password(password, hasher=hasher)},
    )
    return user, created


def seed(context):
    system = context["system"]
    studies = {p.code: study_sync_from_protocol(actor=system, protocol=p) for p in all_protocols()}
    context["studies"] = studies
    login_hasher = context["login_hasher"]
    admin, created = _account("admin", "Demo", "Administrator", DEMO_PASSWORD, login_hasher)
    if created:
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
    sites = {s.code: s for s in Site.objects.select_related("study")}
    for username, first, last, role, study_code, site_code in DEMO_USERS:
        user, _ = _account(username, first, last, DEMO_PASSWORD, login_hasher)
        membership_grant(actor=system, user=user, study=studies[study_code], role=role,
                         laboratory=DEMO_LABORATORIES.get(username, ""),
                         site=sites[site_code] if site_code else None)
    # Every site has its own coordinator and investigator; demo data is entered and signed as
    # them, with a random password known only to this run. seed_demo hashes it with a fast
    # hasher that production settings do not accept, so nobody can log in as them afterwards.
    context["site_staff"] = {}
    for site in sites.values():
        staff = {}
        for role, suffix, first in ((Role.COORDINATOR, "coord", "Coordinator"),
                                    (Role.INVESTIGATOR, "inv", "Investigator")):
            password = secrets.token_urlsafe(24)
            user, _ = _account(f"{site.code.lower()}.{suffix}", first, site.code)
            user.set_password(password)
            user.save(update_fields=["password"])
            membership_grant(actor=system, user=user, study=site.study, role=role, site=site)
            staff[role] = (user, password)
        context["site_staff"][site.code] = staff
    context["logins"] = DEMO_USERS
