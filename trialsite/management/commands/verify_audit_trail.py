"""Verify the audit trail's hash chains: ``manage.py verify_audit_trail``.

Exit status 0 when every chain is intact, 1 when a break is found (each listed with its table,
history row and record), 2 when the database keeps no chain (SQLite).
"""

import sys

from django.core.management.base import BaseCommand

from trialsite.models import AuditTrailVerification
from trialsite.services import audit_trail_verify


class Command(BaseCommand):
    help = "Recompute every history table's hash chain and report any break with its location."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database, **options):
        verification = audit_trail_verify(using=database)
        if verification.outcome == AuditTrailVerification.Outcome.NOT_AVAILABLE:
            self.stderr.write("This database keeps no hash chain (SQLite): nothing to verify.")
            sys.exit(2)
        for b in verification.breaks:
            where = f"history row {b['history_id']} (record {b['record_id']})" \
                if b["history_id"] is not None else "table"
            link = f", link {b['seq']}" if b["seq"] is not None else ""
            self.stdout.write(f"BREAK {b['table']} {where}{link}: {b['problem']}")
        summary = (f"{verification.tables_checked} history tables, "
                   f"{verification.rows_checked} rows: {verification.get_outcome_display()}")
        if verification.outcome == AuditTrailVerification.Outcome.BROKEN:
            self.stderr.write(self.style.ERROR(summary))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(summary))
