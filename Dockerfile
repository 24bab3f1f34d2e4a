# trialsite: one image for web (gunicorn), worker and beat (celery).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    TRIALSITE_VAR_DIR=/var/lib/trialsite STATIC_ROOT=/app/staticfiles
WORKDIR /app

COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY . .
# collectstatic needs settings that load; a throwaway key is enough to build the image.
RUN DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --no-input \
    && useradd --system --home /app trialsite && mkdir -p /var/lib/trialsite \
    && chown trialsite /var/lib/trialsite
USER trialsite

EXPOSE 8000
CMD ["gunicorn", "trialsite.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-"]
