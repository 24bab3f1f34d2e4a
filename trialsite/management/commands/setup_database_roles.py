"""Create the application's database role (if missing) and grant it what it needs, no more.

Run as the owner of the schema (DATABASE_OWNER_URL); the role name and password are those of
DATABASE_URL. Idempotent: run it at every deploy, before or after ``migrate``.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from trialsite.db_roles import RoleError, app_role_name, create_app_role, grant_app_role


class Command(BaseCommand):
    help = "Create the least-privilege application role of DATABASE_URL and grant it its rights."

    def handle(self, *args, **options):
        if "owner" not in connections.settings:
            raise CommandError("set DATABASE_OWNER_URL (the role that owns the schema) "
                               "and DATABASE_URL (the application's role)")
        if connections["owner"].vendor != "postgresql":
            raise CommandError("database roles are a PostgreSQL feature")
        role = app_role_name()
        password = connections["default"].settings_dict.get("PASSWORD") or ""
        with connections["owner"].cursor() as cursor:
            created = create_app_role(cursor, role, password)
        try:
            grant_app_role(using="owner", role=role)
        except RoleError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"application role {role}: {'created' if created else 'exists'}; "
                          "privileges granted")
