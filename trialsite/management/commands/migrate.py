"""``migrate`` runs as the owner of the schema when DATABASE_OWNER_URL is set.

The application's own role (DATABASE_URL) may not create or alter tables; the owner alias does
it, and its post_migrate hook re-applies the application role's grants (trialsite.db_roles).
"""

from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import DEFAULT_DB_ALIAS, connections


class Command(MigrateCommand):
    def handle(self, *args, **options):
        if options["database"] == DEFAULT_DB_ALIAS and "owner" in connections.settings:
            options["database"] = "owner"
        return super().handle(*args, **options)
