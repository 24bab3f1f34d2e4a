"""gunicorn configuration for trialsite: used by the Dockerfile, `make prod-smoke` and the
runbook (docs/deployment.md). Every value can be overridden by the variable beside it.

Worker class: threads (``gthread``). A sync worker is killed when one response takes longer than
``timeout``; a PALMARES-2-size ODM file streams for about a minute. A threaded worker keeps
telling the arbiter it is alive while its threads stream, so ``timeout`` only catches a worker
that is truly stuck, and one slow download does not hold a whole process.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A worker silent this long (not one slow request: see above) is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
# On restart (SIGHUP, a deploy) or stop (SIGTERM), running requests, an export being streamed
# included, get this long to finish before the old workers are stopped.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "120"))
keepalive = 5
# Recycle each worker after this many requests (jittered, so not all at once): bounds any leak.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# The TLS proxy's address: only it may set X-Forwarded-For / X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()
# Request line and headers bounded; a body's size is the proxy's and Django's business.
limit_request_line = 8190
proc_name = "trialsite-web"
# Temporary files of worker heartbeats in memory, not on a container's overlay disk.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or (
    "/dev/shm" if os.path.isdir("/dev/shm") else None)
