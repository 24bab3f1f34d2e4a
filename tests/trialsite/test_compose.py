"""The compose file and the image, read statically (images cannot be pulled here; `make
prod-smoke` runs the same topology with real processes)."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "worker-exports", "worker-daily", "beat")


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_app_container_reads_the_env_file_and_the_shared_store():
    services = compose()["services"]
    for name in (*APP_SERVICES, "backup"):
        service = services[name]
        assert service["env_file"] == ".env", name
        assert "files:/var/lib/trialsite/files" in service["volumes"], name
        assert service["environment"]["DATABASE_URL"].startswith(
            "postgres://trialsite_app:"), name


def test_only_migrations_and_backups_run_as_the_owner_role():
    services = compose()["services"]
    owners = {name for name, s in services.items()
              if "DATABASE_OWNER_URL" in (s.get("environment") or {})}
    assert owners == {"migrate", "backup"}
    assert "trialsite_owner" in services["migrate"]["environment"]["DATABASE_OWNER_URL"]
    command = " ".join(services["migrate"]["command"])
    assert ("setup_database_roles" in command and "migrate --no-input" in command
            and "load_protocols" in command)
    assert services["migrate"]["restart"] == "no"
    init = (ROOT / "deploy/postgres/init-roles.sh").read_text()
    assert "CREATE ROLE trialsite_app LOGIN NOSUPERUSER" in init
    assert "CREATE DATABASE trialsite OWNER trialsite_owner" in init


def test_app_services_start_after_migrate_and_are_health_checked():
    services = compose()["services"]
    for name in ("web", "worker-exports", "worker-daily", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
    web_check = " ".join(services["web"]["healthcheck"]["test"])
    assert "/health/" in web_check
    for name, queue in (("worker-exports", "exports"), ("worker-daily", "daily")):
        command = services[name]["command"]
        assert command[command.index("-Q") + 1] == queue
        check = " ".join(services[name]["healthcheck"]["test"])
        assert "inspect ping" in check and f"{queue}@" in check
    assert "beat" in services["beat"]["command"]
    # One beat only.
    assert sum("beat" in (s.get("command") or []) for s in services.values()) == 1


def test_tls_proxy_in_front_of_web_only():
    services = compose()["services"]
    assert "ports" not in services["web"]
    assert services["nginx"]["ports"] == ["80:80", "443:443"]
    assert services["nginx"]["environment"]["UPSTREAM_WEB"] == "web:8000"
    template = (ROOT / "deploy/nginx/trialsite.conf.template").read_text()
    assert "ssl_certificate" in template and "return 301 https://" in template
    assert "proxy_buffering off" in template
    assert int(re.search(r"proxy_read_timeout (\d+)s", template).group(1)) >= 300


def test_the_image_is_multi_stage_without_dev_tools_and_runs_as_non_root():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)", dockerfile, flags=re.MULTILINE)
    assert stages == ["build", "runtime"]
    assert "requirements-prod.lock" in dockerfile and "requirements.lock " not in dockerfile
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert re.search(r"^USER trialsite$", runtime, flags=re.MULTILINE)
    assert 'CMD ["gunicorn", "--config", "gunicorn.conf.py"' in runtime
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"tests", ".env", ".venv"} <= set(ignored)


def test_every_variable_the_compose_file_needs_is_in_env_example():
    text = (ROOT / "docker-compose.yml").read_text()
    needed = set(re.findall(r"\$\{([A-Z_]+)", text))
    example = (ROOT / ".env.example").read_text()
    missing = [name for name in sorted(needed)
               if not re.search(rf"^#? ?{name}=", example, flags=re.MULTILINE)]
    assert not missing


def test_gunicorn_configuration_fits_long_streamed_exports():
    import runpy

    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    # Threaded workers keep reporting to the arbiter while a thread streams a one-minute ODM file.
    assert config["worker_class"] == "gthread" and config["threads"] >= 2
    assert config["timeout"] >= 60
    # Graceful restarts let a download in progress finish.
    assert config["graceful_timeout"] >= 60
    assert config["max_requests"] > 0 and config["max_requests_jitter"] > 0
    web = compose()["services"]["web"]["command"]
    assert web[:3] == ["gunicorn", "--config", "gunicorn.conf.py"]


def test_sessions_are_shared_by_every_web_replica():
    from django.conf import settings

    # In the database: any replica serves any signed-in user, nothing kept on a web host.
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
