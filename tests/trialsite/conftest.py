"""Fresh PostgreSQL databases and roles for the deployment tests (roles, backups)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]


def _url(user, password, host, port, name):
    return f"postgres://{user}:{password}@{host}:{port}/{name}"


@pytest.fixture
def two_roles():
    """A new database owned by a new owner role (CREATEROLE, not superuser), and the names of
    the application role the setup will create; all dropped afterwards."""
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    suffix = uuid.uuid4().hex[:8]
    base = settings["NAME"].removeprefix("test_")
    database, owner, app = f"{base}_roles_{suffix}", f"ts_owner_{suffix}", f"ts_app_{suffix}"
    admin = psycopg.connect(host=host, port=port, user=settings["USER"], dbname="postgres",
                            autocommit=True)
    admin.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE CREATEDB PASSWORD 'owner-pw'")
                  .format(sql.Identifier(owner)))
    admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}")
                  .format(sql.Identifier(database), sql.Identifier(owner)))
    extra_databases = []
    try:
        yield {
            "extra_databases": extra_databases,
            "database": database, "owner": owner, "app": app, "host": host, "port": port,
            "owner_url": _url(owner, "owner-pw", host, port, database),
            "app_url": _url(app, "app-pw", host, port, database),
        }
    finally:
        for name in (database, *extra_databases):
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                          .format(sql.Identifier(name)))
        for role in (app, owner):
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        admin.close()


def manage(*args, database_url, owner_url=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DATABASE_OWNER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env["DATABASE_URL"] = database_url
    if owner_url:
        env["DATABASE_OWNER_URL"] = owner_url
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


