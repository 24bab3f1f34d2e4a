"""Streamed CSV and NDJSON responses that hold one chunk of rows in memory, whatever the count.

Rows come in as tuples (``QuerySet.values_list(...).iterator(chunk_size=...)``: a server-side
cursor on PostgreSQL), are encoded a batch at a time into one string, and go out as one chunk per
batch. No model instance or serializer is built per row: that is what makes a naive export
forty times slower than ``COPY`` and lets it grow without bound in memory.

The response carries the data cut time (``X-Data-Cut``: when the rows were read) so a data
manager can tell which snapshot a file is.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import islice

from django.http import StreamingHttpResponse
from django.utils import timezone

from trialsite import csv_safety

#: Rows encoded per output chunk: large enough that the per-chunk overhead vanishes, small
#: enough that a chunk stays in the tens of kilobytes.
ROWS_PER_CHUNK = 2000
DATA_CUT_HEADER = "X-Data-Cut"


def batched(rows: Iterable, size: int = ROWS_PER_CHUNK) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    """UTF-8 CSV (``\\n`` line ends, as PostgreSQL's COPY writes them): the header, then one
    chunk per batch. ``None`` becomes an empty field; dates and times are ISO 8601 as ``str()``
    writes them. Text cells a spreadsheet would run as a formula are neutralised
    (``trialsite.csv_safety``).
    """
    buffer = io.StringIO()
    writer = csv_safety.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    yield buffer.getvalue().encode()
    for batch in batched(rows):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue().encode()


COPY_CHUNK_BYTES = 1 << 16


def copy_csv_chunks(header: Sequence[str], queryset) -> Iterator[bytes]:
    """The rows of a ``values_list`` queryset as CSV written by PostgreSQL itself.

    ``COPY (<the queryset's SQL>) TO STDOUT`` streams the result as the server produces it:
    the rows never become Python objects, which is what lets an export run at the database's
    own speed. Same dialect as :func:`csv_chunks` except that PostgreSQL quotes an empty
    string (``""``) to tell it from NULL, and writes times as ``2026-03-01 08:00:00+00``.
    The queryset's text columns are expected to be neutralised in SQL already
    (``registry.dataset_queryset(..., csv_safe=True)``).
    """
    from django.core.exceptions import EmptyResultSet
    from django.db import connections

    connection = connections[queryset.db]
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        sql = None  # a filter that matches nothing (a user who covers no site): no rows
    if header:
        out = io.StringIO()
        csv_safety.writer(out, lineterminator="\n").writerow(header)
        yield out.getvalue().encode()
    if sql is None:
        return
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(
            f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
        parts, size = [], 0
        for data in copy:
            parts.append(bytes(data))
            size += len(data)
            if size >= COPY_CHUNK_BYTES:
                yield b"".join(parts)
                parts, size = [], 0
        if parts:
            yield b"".join(parts)


def _json_default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def ndjson_chunks(names: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    """One JSON object per line (keys = variable names), one chunk per batch."""
    encode = json.JSONEncoder(default=_json_default, ensure_ascii=False).encode
    names = tuple(names)
    for batch in batched(rows):
        yield ("".join(encode(dict(zip(names, row, strict=True))) + "\n" for row in batch)).encode()


def _response(chunks, content_type, filename, data_cut, extra_headers):
    response = StreamingHttpResponse(chunks, content_type=content_type)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response[DATA_CUT_HEADER] = (data_cut or timezone.now()).isoformat()
    response["Cache-Control"] = "no-store"
    for name, value in (extra_headers or {}).items():
        response[name] = value
    return response


def streamed_csv_response(header, rows, *, filename=None, data_cut=None, extra_headers=None):
    """A ``StreamingHttpResponse`` of CSV rows; see :func:`csv_chunks`."""
    return _response(
        csv_chunks(header, rows), "text/csv; charset=utf-8", filename, data_cut, extra_headers
    )


def streamed_csv_chunks_response(chunks, *, filename=None, data_cut=None, extra_headers=None):
    """A ``StreamingHttpResponse`` of CSV chunks already encoded (e.g. :func:`copy_csv_chunks`)."""
    return _response(chunks, "text/csv; charset=utf-8", filename, data_cut, extra_headers)


def streamed_ndjson_response(names, rows, *, filename=None, data_cut=None, extra_headers=None):
    """A ``StreamingHttpResponse`` of NDJSON rows; see :func:`ndjson_chunks`."""
    return _response(
        ndjson_chunks(names, rows), "application/x-ndjson; charset=utf-8", filename, data_cut,
        extra_headers,
    )
