#!/usr/bin/env bash
# Back up trialsite: PostgreSQL (one snapshot, pg_dump custom format) + a manifest of row counts and
# audit trail digests + a copy of the file store. Run it daily (cron, a systemd timer, or the
# compose file's `backup` service); copy BACKUP_DIR off the host (docs/deployment.md, "Backups").
#   BACKUP_DIR=/var/backups/trialsite BACKUP_KEEP_DAYS=30 scripts/backup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python )}"
: "${BACKUP_DIR:?set BACKUP_DIR}"
exec "$PYTHON" manage.py backup_database "$BACKUP_DIR" --keep-days "${BACKUP_KEEP_DAYS:-30}"
