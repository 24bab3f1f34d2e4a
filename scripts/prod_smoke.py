"""`make prod-smoke`: the production topology on this machine, with real processes, end to end.

    nginx (Debian package, self-signed certificate, HTTPS)
      -> two gunicorn instances (gunicorn.conf.py, DEBUG=0, the application's least-privilege role)
    two Celery workers (queue "exports", queue "daily") and one beat (RedBeat lock in Redis),
    a second beat that must stay idle, PostgreSQL with the owner and application roles,
    Redis, and the file store on S3 (moto's standalone server speaking the S3 protocol).

Then, as users would: log in over HTTPS through the proxy, enter a visit form, build a data
package on the exports worker and download it through the *other* web instance, stream the ODM
file through the proxy, kill the daily worker and see /health/workers/ report it, back up the
database and restore it into a fresh one that verify_restore checks.

Bounded: every wait has a deadline and the whole run is stopped after SMOKE_TIMEOUT seconds.
Every process it starts is stopped on exit (also on Ctrl-C / SIGTERM); its databases and roles
are dropped. With CI=true a missing tool is a failure; elsewhere it is reported and skipped.

Variables: SMOKE_PG_ADMIN_URL (superuser, default postgres://postgres@127.0.0.1:5432/postgres),
SMOKE_REDIS_URL (default redis://127.0.0.1:6379/13, flushed), SMOKE_PORT_BASE (default 18180:
ten ports from there), SMOKE_DB_PREFIX (default trialsite_smoke), SMOKE_PATIENTS (PALMARES-2 bench
size, default 120), SMOKE_TIMEOUT (default 420 s).
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv/bin/python") if (ROOT / ".venv/bin/python").exists() else sys.executable
BIN = Path(PY).parent
CI = os.environ.get("CI", "").lower() == "true"
ADMIN_URL = os.environ.get("SMOKE_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/13")
BASE = int(os.environ.get("SMOKE_PORT_BASE", "18180"))
PREFIX = os.environ.get("SMOKE_DB_PREFIX", "trialsite_smoke")
PATIENTS = int(os.environ.get("SMOKE_PATIENTS", "120"))
TIMEOUT = int(os.environ.get("SMOKE_TIMEOUT", "420"))
PORTS = {"https": BASE, "http": BASE + 1, "web_a": BASE + 2, "web_b": BASE + 3, "s3": BASE + 4}
PASSWORD = "correct-horse-battery"

STARTED = time.monotonic()
checked = []
processes = {}
stopped = set()


def say(message):
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def ok(what):
    checked.append(what)
    say(f"OK  {what}")


class SmokeFailure(Exception):
    pass


def fail(message):
    raise SmokeFailure(message)


def wait_for(what, condition, timeout=90, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        for name, (process, log) in processes.items():
            if process.poll() is not None and name not in stopped:
                fail(f"{name} exited ({process.returncode}) while waiting for {what}:\n"
                     + Path(log).read_text()[-3000:])
        time.sleep(interval)
    fail(f"timed out after {timeout} s waiting for {what}")


# ---- tools ---------------------------------------------------------------------------------

def missing_tools():
    missing = [tool for tool in ("nginx", "openssl", "pg_dump", "pg_restore", "psql",
                                 "createdb") if not shutil.which(tool)]
    for module in ("moto", "storages", "redbeat", "requests", "boto3"):
        if subprocess.run([PY, "-c", f"import {module}"], capture_output=True).returncode:
            missing.append(f"python:{module}")
    return missing


# ---- processes -------------------------------------------------------------------------------

def start(name, args, env, log_dir):
    log = log_dir / f"{name}.log"
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=open(log, "w"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    processes[name] = (process, log)
    say(f"started {name} (pid {process.pid})")
    return process


def stop(name, sig=signal.SIGTERM, wait=20):
    process, _ = processes[name]
    stopped.add(name)
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def stop_all():
    for name in reversed(list(processes)):
        try:
            stop(name)
        except Exception as exc:  # keep stopping the others
            print(f"could not stop {name}: {exc}", file=sys.stderr)


def manage(env, *args, timeout=300):
    result = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode:
        fail(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def flush_redis():
    """The smoke's own Redis database (SMOKE_REDIS_URL) starts and ends empty."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def port_open(port):
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


# ---- PostgreSQL --------------------------------------------------------------------------------

class Databases:
    def __init__(self):
        import psycopg

        self.admin = psycopg.connect(ADMIN_URL, autocommit=True)
        parts = urlparse(ADMIN_URL)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 5432
        suffix = secrets.token_hex(3)
        self.name = f"{PREFIX}_{suffix}"
        self.restored = f"{self.name}_restored"
        self.owner, self.app = f"smoke_owner_{suffix}", f"smoke_app_{suffix}"
        self.owner_pw, self.app_pw = secrets.token_hex(12), secrets.token_hex(12)

    def url(self, role, password, name=None):
        return f"postgres://{role}:{password}@{self.host}:{self.port}/{name or self.name}"

    def create(self):
        from psycopg import sql

        self.admin.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE CREATEDB PASSWORD {}")
                           .format(sql.Identifier(self.owner), sql.Literal(self.owner_pw)))
        self.admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(self.name), sql.Identifier(self.owner)))

    def drop(self):
        from psycopg import sql

        for name in (self.name, self.restored):
            self.admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                               .format(sql.Identifier(name)))
        for role in (self.app, self.owner):
            self.admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        self.admin.close()


# ---- TLS and nginx -----------------------------------------------------------------------------

def certificate(folder):
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def nginx_config(folder, cert, key):
    template = (ROOT / "deploy/nginx/trialsite.conf.template").read_text()
    values = {"UPSTREAM_WEB": f"127.0.0.1:{PORTS['web_a']};\n    server 127.0.0.1:{PORTS['web_b']}",
              "SERVER_NAME": "localhost", "HTTP_PORT": f"127.0.0.1:{PORTS['http']}",
              "HTTPS_PORT": f"127.0.0.1:{PORTS['https']}", "TLS_CERT": str(cert),
              "TLS_KEY": str(key)}
    server = re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], template)
    temp = folder / "nginx-temp"
    temp.mkdir()
    config = folder / "nginx.conf"
    config.write_text(f"""
daemon off;
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{server}
}}
""")
    return config


# ---- the run -----------------------------------------------------------------------------------

SETUP_USERS = """
from django.utils import timezone
from tests.factories import UserFactory, enrol, grant, register_patient
from trialsite.models import Role, Site, Study
from visits import services as visit_services
from visits.models import Visit

site = Site.objects.filter(study__code="ICRG0201").order_by("id").first()
coordinator = grant(UserFactory(username="smoke-coordinator"), Role.COORDINATOR, site=site)
patient = enrol(register_patient(site, actor=coordinator), coordinator=coordinator)
if not Visit.objects.filter(patient=patient).exists():
    visit_services.schedule_create(actor=coordinator, enrolment=patient.enrolment,
                                   today=timezone.localdate())
grant(UserFactory(username="smoke-sponsor"), Role.SPONSOR,
      study=Study.objects.get(code="PALMARES-2"))
print("SUBJECT", patient.subject_id)
"""

SEED = """
import sys
sys.path.insert(0, "bench")
import exports as bench
bench.PATIENTS = {patients}
bench.seed()
"""

VISIT_CHECK = """
from visits.crf.models import VitalSigns
record = VitalSigns.objects.get(visit__patient__subject_id="{subject}", visit__code="BL")
last = record.history.order_by("-history_id").first()
print("VITALS", record.weight_kg, last.history_user.username, last.history_type)
"""


def https_session(requests, cert):
    session = requests.Session()
    # Trust only the smoke's own certificate (REQUESTS_CA_BUNDLE would replace it) and no proxy.
    session.trust_env = False
    session.verify = str(cert)
    return session


def login(session, base, username):
    page = session.get(f"{base}/login/", timeout=30)
    token = session.cookies.get("csrftoken")
    response = session.post(f"{base}/login/", data={
        "username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/login/"}, allow_redirects=False, timeout=30)
    if response.status_code != 302 or "sessionid" not in session.cookies:
        fail(f"login of {username} refused: {response.status_code} {page.status_code}")
    return session


def direct(port, session, path, **kwargs):
    """A request straight to one gunicorn instance, as nginx forwards it (HTTPS done)."""
    import requests

    cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    return requests.get(f"http://127.0.0.1:{port}{path}", headers={
        "Host": "localhost", "X-Forwarded-Proto": "https", "Cookie": cookies}, timeout=60,
        **kwargs)


def run(work):
    import boto3
    import requests

    databases = Databases()
    databases.create()
    say(f"database {databases.name}: owner role {databases.owner}, app role {databases.app}")
    try:
        _run(work, databases, boto3, requests)
    finally:
        stop_all()
        databases.drop()
        flush_redis()


def _run(work, db, boto3, requests):
    log_dir = work / "logs"
    log_dir.mkdir()
    flush_redis()

    start("s3", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(PORTS["s3"])],
          {**os.environ}, log_dir)
    wait_for("moto's S3 server", lambda: port_open(PORTS["s3"]))
    endpoint = f"http://127.0.0.1:{PORTS['s3']}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="smoke", aws_secret_access_key="smoke")
    s3.create_bucket(Bucket="trialsite-smoke")

    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("DATABASE_", "CELERY_", "DJANGO_"))}
    env = {**base_env,
           "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
           "ALLOWED_HOSTS": "localhost", "CSRF_TRUSTED_ORIGINS": f"https://localhost:{PORTS['https']}",
           "DATABASE_URL": db.url(db.app, db.app_pw),
           "CELERY_BROKER_URL": REDIS_URL, "AXES_PROXY_COUNT": "1",
           "TRIALSITE_VAR_DIR": str(work / "var"), "STATIC_ROOT": str(work / "static"),
           "TRIALSITE_S3_BUCKET": "trialsite-smoke", "TRIALSITE_S3_ENDPOINT_URL": endpoint,
           "TRIALSITE_S3_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "smoke", "AWS_SECRET_ACCESS_KEY": "smoke",
           "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
           "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4", "LOG_LEVEL": "WARNING",
           "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    owner_env = {**env, "DATABASE_OWNER_URL": db.url(db.owner, db.owner_pw)}

    say(manage(owner_env, "setup_database_roles").strip())
    manage(owner_env, "migrate", "--no-input")
    manage(env, "load_protocols")
    manage(env, "collectstatic", "--no-input")
    ok("deploy steps: setup_database_roles and migrate as the owner; load_protocols, "
       "collectstatic as the application role")
    started = time.monotonic()
    manage(env, "shell", "-c", SEED.format(patients=PATIENTS), timeout=600)
    say(f"PALMARES-2 bench data: {PATIENTS} patients x 29 visits seeded in "
        f"{time.monotonic() - started:.0f} s")
    subject = re.search(r"SUBJECT (\S+)", manage(env, "shell", "-c", SETUP_USERS)).group(1)

    cert, key = certificate(work)
    config = nginx_config(work, cert, key)
    work.chmod(0o755)
    for name, port in (("web-a", PORTS["web_a"]), ("web-b", PORTS["web_b"])):
        start(name, [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "--bind",
                     f"127.0.0.1:{port}", "trialsite.wsgi:application"], env, log_dir)
    start("worker-exports", [str(BIN / "celery"), "-A", "trialsite", "worker", "-Q", "exports",
                             "-n", "exports@smoke", "--concurrency=1", "--loglevel=INFO"],
          env, log_dir)
    start("worker-daily", [str(BIN / "celery"), "-A", "trialsite", "worker", "-Q", "daily",
                           "-n", "daily@smoke", "--concurrency=1", "--loglevel=INFO"],
          env, log_dir)
    start("beat", [str(BIN / "celery"), "-A", "trialsite", "beat", "--loglevel=DEBUG"],
          env, log_dir)
    start("nginx", ["nginx", "-c", str(config), "-p", str(work)], env, log_dir)

    wait_for("both gunicorn instances and nginx",
             lambda: all(port_open(PORTS[p]) for p in ("web_a", "web_b", "https")))
    https = f"https://localhost:{PORTS['https']}"
    session = https_session(requests, cert)

    # ---- health through the proxy ----
    wait_for("/health/ through the proxy",
             lambda: session.get(f"{https}/health/?format=json", timeout=30).status_code == 200)
    report = session.get(f"{https}/health/?format=json", timeout=30).json()
    names = " ".join(report)
    if not all(part in names for part in ("Database", "Redis", "Storage")):
        fail(f"/health/ does not check database, broker and storage: {report}")
    ok(f"/health/ over HTTPS through nginx: {report}")
    wait_for("both workers answering /health/workers/", lambda: session.get(
        f"{https}/health/workers/?format=json", timeout=30).status_code == 200, timeout=120)
    ok("/health/workers/: a worker answers for each queue (exports, daily)")
    plain = requests.get(f"http://127.0.0.1:{PORTS['http']}/login/", allow_redirects=False,
                         headers={"Host": "localhost"}, timeout=10)
    if plain.status_code != 301 or not plain.headers["Location"].startswith("https://"):
        fail(f"plain HTTP is not redirected to HTTPS: {plain.status_code}")
    ok("plain HTTP on the proxy redirects to HTTPS")

    # ---- one beat ----
    beat_log = processes["beat"][1]
    wait_for("the beat to take its lock", lambda: "Acquired lock" in beat_log.read_text())
    start("beat-2", [str(BIN / "celery"), "-A", "trialsite", "beat", "--loglevel=DEBUG"],
          env, log_dir)
    wait_for("the second beat to start", lambda: "Acquiring lock" in
             processes["beat-2"][1].read_text(), timeout=60)
    time.sleep(3)
    if "Acquired lock" in processes["beat-2"][1].read_text():
        fail("a second beat acquired the lock the first one holds")
    stop("beat-2")
    ok("a second beat waits for the RedBeat lock held by the first and sends nothing")

    # ---- a coordinator enters a visit ----
    coordinator = https_session(requests, cert)
    login(coordinator, https, "smoke-coordinator")
    form = f"{https}/patients/{subject}/visits/BL/vital_signs/"
    page = coordinator.get(form, timeout=30)
    if page.status_code != 200:
        fail(f"visit form answered {page.status_code}")
    saved = coordinator.post(form, data={
        "weight_kg": "68.5", "height_cm": "164", "systolic_mmhg": "128", "diastolic_mmhg": "82",
        "heart_rate_per_min": "76", "temperature_c": "36.8", "version": "0",
        "csrfmiddlewaretoken": coordinator.cookies.get("csrftoken")},
        headers={"Referer": form}, allow_redirects=False, timeout=30)
    if saved.status_code != 302:
        fail(f"saving the visit form answered {saved.status_code}: {saved.text[:2000]}")
    check = manage(env, "shell", "-c", VISIT_CHECK.format(subject=subject))
    if not re.search(r"VITALS 68\.50* smoke-coordinator \+", check):
        fail(f"the visit or its audit trail is not as entered: {check}")
    ok(f"logged in over HTTPS and entered the BL vital signs of {subject}; the audit trail "
       "row names the coordinator (application role)")

    # ---- data package: built on the exports worker, downloaded from the other web instance --
    sponsor = https_session(requests, cert)
    login(sponsor, https, "smoke-sponsor")
    started = sponsor.post(f"{https}/api/v1/exports/packages/", timeout=30, headers={
        "X-CSRFToken": sponsor.cookies.get("csrftoken"), "Referer": f"{https}/exports/"})
    if started.status_code != 202:
        fail(f"requesting a data package answered {started.status_code}: {started.text}")
    package_id = started.json()["id"]

    def package_ready():
        status = direct(PORTS["web_a"], sponsor, f"/api/v1/exports/packages/{package_id}/")
        state = status.json()
        if state["status"] == "failed":
            fail(f"the package failed: {state}")
        return state if state["status"] == "ready" else None

    state = wait_for("the data package", package_ready, timeout=180, interval=1)
    exports_log = processes["worker-exports"][1].read_text()
    if "build_data_package" not in exports_log:
        fail("the exports worker did not run the package job")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="trialsite-smoke").get("Contents", [])]
    if not any(k.startswith("packages/") for k in keys):
        fail(f"no package in the S3 bucket: {keys}")
    download = direct(PORTS["web_b"], sponsor, f"/api/v1/exports/packages/{package_id}/download/")
    import hashlib
    import io
    import zipfile

    if download.status_code != 200:
        fail(f"download from the other web instance answered {download.status_code}")
    if hashlib.sha256(download.content).hexdigest() != state["sha256"]:
        fail("the downloaded package does not match its checksum")
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    ok(f"data package {package_id} built by the exports worker into S3 ({len(download.content):,}"
       f" bytes, {len(names)} files), polled on web A, downloaded from web B, SHA-256 matches")

    # ---- ODM streamed through the proxy ----
    started = time.monotonic()
    size = 0
    with sponsor.get(f"{https}/api/v1/exports/odm.xml", stream=True, timeout=300) as odm:
        if odm.status_code != 200:
            fail(f"ODM answered {odm.status_code}")
        tail = b""
        for chunk in odm.iter_content(1 << 16):
            size += len(chunk)
            tail = (tail + chunk)[-200:]
    if not tail.rstrip().endswith(b"</ODM>"):
        fail("the ODM file was cut before its end")
    ok(f"ODM file of the PALMARES-2 bench study ({PATIENTS} patients) streamed through nginx: "
       f"{size / 1e6:,.1f} MB in {time.monotonic() - started:.1f} s, complete")

    # ---- a worker dies: the health check says so ----
    stop("worker-daily", signal.SIGKILL)

    def workers_unhealthy():
        response = session.get(f"{https}/health/workers/?format=json", timeout=30)
        return response.json() if response.status_code == 500 else None

    report = wait_for("/health/workers/ to report the killed worker", workers_unhealthy,
                      timeout=60, interval=1)
    if "daily" not in json.dumps(report):
        fail(f"the health check does not name the queue left without a worker: {report}")
    ok(f"daily worker killed (SIGKILL): /health/workers/ answers 500: {report}")

    # ---- backup, then restore into a fresh database ----
    backups = work / "backups"
    say(manage(owner_env, "backup_database", str(backups)).strip())
    [dump] = backups.glob("*.dump")
    restore_env = {**base_env, "PGHOST": db.host, "PGPORT": str(db.port), "PGUSER": db.owner,
                   "PGPASSWORD": db.owner_pw, "PYTHON": PY}
    restored = subprocess.run(["bash", "scripts/restore.sh", str(dump), db.restored], cwd=ROOT,
                              env=restore_env, capture_output=True, text=True, timeout=300)
    if restored.returncode or "restore verified" not in restored.stdout:
        fail(f"restore failed:\n{restored.stdout}\n{restored.stderr}")
    ok("backup restored into a fresh database and verified: "
       + restored.stdout.strip().splitlines()[-1])


def main():
    missing = missing_tools()
    if missing:
        message = f"prod-smoke needs: {', '.join(missing)} (.ci/run installs nginx)"
        if CI:
            print(f"FAILED: {message}")
            return 1
        print(f"SKIPPED: {message}")
        return 0

    def on_signal(signum, frame):
        raise SmokeFailure(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, lambda s, f: on_signal(f"ALRM (over {TIMEOUT} s)", f))
    signal.alarm(TIMEOUT)
    work = Path(tempfile.mkdtemp(prefix="trialsite-smoke-"))
    try:
        run(work)
    except Exception as exc:
        if not isinstance(exc, SmokeFailure):
            import traceback

            traceback.print_exc()
        print(f"\nFAILED: {exc}")
        for name, (_, log) in processes.items():
            text = Path(log).read_text() if Path(log).exists() else ""
            if text:
                print(f"--- last lines of {name} ---\n{text[-1500:]}")
        return 1
    finally:
        signal.alarm(0)
        stop_all()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nprod-smoke passed in {time.monotonic() - STARTED:.0f} s. Checked:")
    for item in checked:
        print(f"  - {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
