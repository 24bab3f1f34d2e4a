"""Check a restored database against the manifest saved with its backup.

    DATABASE_URL=postgres://.../trialsite_restored python manage.py verify_restore X.manifest.json

Every table's row count and every history table's digest must be those of the backup; exits 1
and lists the differences otherwise.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from trialsite.backup import compare, manifest


class Command(BaseCommand):
    help = "Compare the database with a backup's manifest (row counts, audit trail digests)."

    def add_arguments(self, parser):
        parser.add_argument("manifest")

    def handle(self, *args, **options):
        with open(options["manifest"]) as handle:
            expected = json.load(handle)
        connection = connections["default"]
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            actual = manifest(cursor)
        problems = compare(expected, actual)
        if problems:
            raise CommandError("the restored database differs from the backup:\n"
                               + "\n".join(problems))
        self.stdout.write(
            f"restore verified: {len(actual['row_counts'])} tables, "
            f"{sum(actual['row_counts'].values())} rows, "
            f"{len(actual['audit_trail_sha256'])} audit trail tables identical to the backup "
            f"taken at {expected['taken_at']}")
