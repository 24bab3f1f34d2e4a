"""Production settings pass Django's deployment checklist with no warning."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    # A clean environment: nothing from the test run (such as the browser tests' async flag).
    environment = {
        k: v for k, v in os.environ.items()
        if k not in ("DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True,
        text=True, timeout=120,
    )


def test_check_deploy_passes_with_production_variables():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY="x7Qp2Lk9vB4mN8cR1tY6wE3uI0oA5sD-ZhGjF+KlXcVbNm" * 2,
        ALLOWED_HOSTS="trialsite.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DEBUG="0", SECRET_KEY="", ALLOWED_HOSTS="x.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_development_defaults_fail_the_deploy_check():
    """The check is real: DEBUG defaults are flagged."""
    result = run_manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
