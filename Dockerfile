# trialsite: one image for web (gunicorn), workers, beat and the one-shot migrate service.
# Two stages: the first builds the virtualenv from the production lock (no test tools), the second
# carries only that virtualenv, the code and the collected static files, and runs as a non-root user.

FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements-prod.lock /tmp/requirements-prod.lock
RUN /opt/venv/bin/pip install --no-deps -r /tmp/requirements-prod.lock

FROM python:3.12-slim AS runtime
# postgresql-client: pg_dump / pg_restore for scripts/backup.sh and scripts/restore.sh (a newer
# pg_dump dumps an older server). No compiler, no test tool.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin trialsite
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    TRIALSITE_VAR_DIR=/var/lib/trialsite TRIALSITE_FILES_DIR=/var/lib/trialsite/files \
    STATIC_ROOT=/app/staticfiles
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . .
# collectstatic needs settings that load; a throwaway key is enough to build the image.
RUN DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --no-input \
    && mkdir -p /var/lib/trialsite/files /var/backups/trialsite \
    && chown -R trialsite /var/lib/trialsite /var/backups/trialsite
USER trialsite

EXPOSE 8000
CMD ["gunicorn", "--config", "gunicorn.conf.py", "trialsite.wsgi:application"]
