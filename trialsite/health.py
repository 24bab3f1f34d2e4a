"""Health checks for the proxy, the container runtime and monitoring (django-health-check).

``/health/`` is what one web process needs to serve: the database, the broker (Redis) and the
file store (a file is saved, read back and deleted). ``/health/workers/`` asks the Celery workers
over the broker and fails when a queue (exports, daily) has no worker answering: monitoring
polls it; the container health check of a worker is ``celery inspect ping`` on that worker.
Both answer 200 when healthy and 500 naming the failing part otherwise (``?format=json``).
"""

import datetime

from django.conf import settings
from health_check.checks import Database, Storage
from health_check.contrib.celery import Ping
from health_check.views import HealthCheckView


def _broker_checks():
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return []
    from health_check.contrib.redis import Redis
    from redis.asyncio import Redis as RedisClient

    url = settings.CELERY_BROKER_URL
    return [(Redis, {"client_factory": lambda: RedisClient.from_url(url)})]


def service_checks():
    return [Database, *_broker_checks(), Storage]


def worker_checks():
    from trialsite.celery import app

    return [(Ping, {"app": app, "timeout": datetime.timedelta(seconds=2)})]


class ServicesHealthView(HealthCheckView):
    def get_checks(self):
        self.checks = service_checks()
        return super().get_checks()


class WorkersHealthView(HealthCheckView):
    def get_checks(self):
        self.checks = worker_checks()
        return super().get_checks()
