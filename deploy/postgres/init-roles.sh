#!/bin/bash
# First start of the postgres container: the two roles and the database (docs/deployment.md).
# trialsite_owner owns the schema and runs migrations; trialsite_app is what web and workers use.
# The app role's table rights are granted by `manage.py setup_database_roles` and every migrate.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_pw="$OWNER_DB_PASSWORD" -v app_pw="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE trialsite_owner LOGIN CREATEDB PASSWORD :'owner_pw';
CREATE ROLE trialsite_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'app_pw';
CREATE DATABASE trialsite OWNER trialsite_owner;
REVOKE ALL ON DATABASE trialsite FROM PUBLIC;
GRANT CONNECT ON DATABASE trialsite TO trialsite_app;
SQL
