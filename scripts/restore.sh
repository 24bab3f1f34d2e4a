#!/usr/bin/env bash
# Restore a trialsite backup into a NEW database and check it against the backup's manifest.
#   scripts/restore.sh /var/backups/trialsite/trialsite-20261204T030000Z.dump trialsite_restored
# libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD) name the role that will own the restored
# database: the owner role (it needs CREATEDB), never the application role. Afterwards:
# point DATABASE_URL / DATABASE_OWNER_URL at the new database and run `manage.py migrate`, which
# re-applies the audit trail triggers and the application role's grants (docs/deployment.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python )}"
dump="${1:?usage: restore.sh DUMP NEW_DATABASE}"
target="${2:?usage: restore.sh DUMP NEW_DATABASE}"
manifest="${dump%.dump}.manifest.json"
[ -f "$manifest" ] || { echo "no manifest beside the dump: $manifest"; exit 1; }

expected=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["dump_sha256"])' "$manifest")
actual=$(sha256sum "$dump" | cut -d' ' -f1)
[ "$expected" = "$actual" ] || { echo "checksum mismatch: the dump is damaged ($actual)"; exit 1; }
echo "dump checksum ok"

if psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$target'" | grep -q 1; then
  echo "database $target exists: restore into a new database"; exit 1
fi
createdb "$target"
pg_restore --exit-on-error --no-owner --no-privileges --dbname="$target" "$dump"
echo "restored into $target"

user="${PGUSER:-$(id -un)}"
auth="$user${PGPASSWORD:+:$PGPASSWORD}"
DATABASE_URL="postgres://$auth@${PGHOST:-127.0.0.1}:${PGPORT:-5432}/$target" \
  env -u DATABASE_OWNER_URL -u DATABASE_REPLICA_URL "$PYTHON" manage.py verify_restore "$manifest"
