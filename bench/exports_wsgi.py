"""The trialsite WSGI application plus two bench-only routes, served by the same gunicorn.

/bench/copy/<dataset>.csv        the dataset's own query (same user, same filters, same order)
                                 run as ``COPY (…) TO STDOUT (FORMAT csv, HEADER)`` and streamed
                                 chunk by chunk: the speed of the database itself.
/bench/drf/<dataset>?offset=&limit=
                                 a naive API page: the first source's model instances through
                                 a DRF ModelSerializer (fields "__all__"), as JSON.
Both act as the user named by ?user=. Never mount these in the application.
"""

import json
import re

from trialsite.wsgi import application as trialsite_application

_COPY = re.compile(r"^/bench/copy/([a-z_]+)\.csv$")
_DRF = re.compile(r"^/bench/drf/([a-z_]+)$")


def _user(query):
    from trialsite.models import User

    return User.objects.get(username=query.get("user", ["bench-sponsor"])[0])


def _copy(name, query, start_response):
    from django.db import connection

    from trialsite.exports.registry import Filters, dataset_queryset, get_dataset

    dataset = get_dataset(name)
    sql, params = dataset_queryset(dataset, _user(query), Filters()).query.sql_with_params()
    connection.ensure_connection()
    raw = connection.connection
    start_response("200 OK", [("Content-Type", "text/csv; charset=utf-8")])

    def chunks():
        with raw.cursor() as cursor, cursor.copy(
                f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)", params) as copy:
            buffer, size = [], 0
            for data in copy:
                buffer.append(bytes(data))
                size += len(data)
                if size >= 1 << 16:
                    yield b"".join(buffer)
                    buffer, size = [], 0
            yield b"".join(buffer)
        connection.close()

    return chunks()


def _drf(name, query, start_response):
    from django.db import connection
    from rest_framework import serializers

    from trialsite.exports.registry import get_dataset

    source = get_dataset(name).sources[0]
    model = source.queryset().model

    class Naive(serializers.ModelSerializer):
        class Meta:
            fields = "__all__"

    Naive.Meta.model = model
    offset = int(query.get("offset", ["0"])[0])
    limit = int(query.get("limit", ["1000"])[0])
    rows = source.queryset().order_by("pk")[offset:offset + limit]
    body = json.dumps(Naive(rows, many=True).data, default=str).encode()
    connection.close()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]


def application(environ, start_response):
    from urllib.parse import parse_qs

    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if match := _COPY.match(path):
        return _copy(match.group(1), query, start_response)
    if match := _DRF.match(path):
        return _drf(match.group(1), query, start_response)
    return trialsite_application(environ, start_response)
