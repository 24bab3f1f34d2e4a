"""Load both studies and a synthetic demo trial. Safe to run again: it only adds what is missing.

Each app contributes through its ``demo.seed(context)``, called in app order.
"""

import random
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from trialsite.demo import DEMO_PASSWORD
from trialsite.models import Role
from trialsite.services import system_user


class Command(BaseCommand):
    help = "Load both studies and a synthetic demo trial with one login per role."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print logins.")

    def handle(self, *args, quiet_logins=False, **options):
        context = {
            "system": system_user(),
            "rng": random.Random("trialsite-demo"),
            "today": timezone.localdate(),
            "stdout": self.stdout,
            # The printed demo logins are hashed as production hashes passwords.
            "login_hasher": get_hasher().algorithm,
        }
        # Demo screenings are signed by password re-entry like real ones; a fast hasher for the
        # run keeps hundreds of signatures from taking minutes (see trialsite/demo.py).
        fast = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
        with override_settings(PASSWORD_HASHERS=fast):
            demos = [import_module(f"{config.name}.demo") for config in apps.get_app_configs()
                     if module_has_submodule(config.module, "demo")]
            for demo in demos:
                demo.seed(context)
            # A low app whose demo reviews the data of higher ones (monitoring) adds it last.
            for demo in demos:
                if hasattr(demo, "seed_late"):
                    demo.seed_late(context)
        if not quiet_logins:
            self._print_logins(context["logins"])

    def _print_logins(self, demo_users):
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        rows = [("admin", "administrator (Django admin)", "everything")]
        seen = set()
        for username, _first, _last, role, study, site in demo_users:
            where = f"{study} {site}" if site else f"{study} (all sites)"
            if (username, role) in seen:
                rows[-1] = (rows[-1][0], rows[-1][1], rows[-1][2] + f", {site or where}")
                continue
            seen.add((username, role))
            rows.append((username, Role(role).label, where))
        width = max(len(r[0]) for r in rows)
        for username, label, where in rows:
            self.stdout.write(f"  {username.ljust(width)}  {label:<28} {where}")
