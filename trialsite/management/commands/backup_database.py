"""Back up PostgreSQL (one snapshot, custom-format pg_dump) with a manifest, plus the file store.

    python manage.py backup_database /var/backups/trialsite [--keep-days 30]

Runs as the owner role when DATABASE_OWNER_URL is set. scripts/backup.sh calls it on a schedule;
scripts/restore.sh restores a dump and checks it against its manifest (verify_restore).
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from trialsite.backup import backup


class Command(BaseCommand):
    help = "pg_dump the database on one snapshot, with a manifest (row counts, audit trail digest)."

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument("--keep-days", type=int, default=0,
                            help="delete backups older than this many days (0: keep all)")

    def handle(self, *args, directory, keep_days, **options):
        if connections["default"].vendor != "postgresql":
            raise CommandError("backup_database backs up PostgreSQL; copy the SQLite file instead")
        result = backup(directory)
        self.stdout.write(
            f"{result['dump']}: {sum(result['row_counts'].values())} rows in "
            f"{len(result['row_counts'])} tables, {len(result['audit_trail_sha256'])} audit trail "
            f"tables, {result['files']} stored files; sha256 {result['dump_sha256']}")
        if keep_days:
            cutoff = time.time() - keep_days * 86400
            for old in Path(directory).glob("trialsite-*.manifest.json"):
                if old.stat().st_mtime < cutoff:
                    stem = old.name.removesuffix(".manifest.json")
                    for path in Path(directory).glob(f"{stem}*"):
                        if path.is_dir():
                            import shutil

                            shutil.rmtree(path)
                        else:
                            path.unlink()
                    self.stdout.write(f"removed {stem} (older than {keep_days} days)")
