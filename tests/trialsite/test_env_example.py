"""`.env.example` documents every variable the application reads, and the production lock has
every runtime dependency and no test tool."""

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READERS = {"os.environ.get", "os.getenv", "env_bool", "env_list"}


def variables_read(path):
    """Names passed to os.environ.get / os.environ[...] / env_bool / env_list in ``path``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Call) and ast.unparse(node.func) in READERS and node.args
                and isinstance(node.args[0], ast.Constant)):
            found.add(node.args[0].value)
        if (isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ"
                and isinstance(node.slice, ast.Constant)):
            found.add(node.slice.value)
    return found


def documented():
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_the_reader_finds_the_variables():
    names = variables_read(ROOT / "trialsite" / "settings.py")
    # A sample of each way settings.py reads one: the test must not pass by finding nothing.
    assert {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_OWNER_URL",
            "EMAIL_HOST_PASSWORD", "AXES_PROXY_COUNT"} <= names


def test_every_setting_read_is_in_env_example():
    read = (variables_read(ROOT / "trialsite" / "settings.py")
            | variables_read(ROOT / "gunicorn.conf.py"))
    missing = sorted(read - documented())
    assert not missing, f"add these to .env.example (with what they mean): {missing}"


def test_compose_passes_the_env_file_to_every_app_container():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "env_file" in compose


def _pins(path):
    pins = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def _requirement(spec):
    name, version = spec.split("==")
    return re.sub(r"[-_.]+", "-", name.split("[")[0]).lower(), version


def test_production_lock_has_the_runtime_dependencies_and_no_dev_tool():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    prod, full = _pins(ROOT / "requirements-prod.lock"), _pins(ROOT / "requirements.lock")
    for spec in project["dependencies"]:
        name, version = _requirement(spec)
        assert prod.get(name) == version, f"{name}=={version} missing from requirements-prod.lock"
    for spec in project["optional-dependencies"]["dev"]:
        name, _ = _requirement(spec)
        assert name not in prod, f"dev tool {name} in the production image"
    # The production pins are the ones tested.
    assert {name: full.get(name) for name in prod} == prod
