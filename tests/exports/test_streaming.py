import csv
import io
import json
from datetime import date
from decimal import Decimal

from trialsite.exports.streaming import (
    DATA_CUT_HEADER,
    ROWS_PER_CHUNK,
    streamed_csv_response,
    streamed_ndjson_response,
)


def test_csv_stream_quotes_fields_and_writes_empty_for_null():
    response = streamed_csv_response(
        ["id", "note"], iter([(1, 'a, "b"'), (2, None)]), filename="x.csv"
    )
    body = b"".join(response.streaming_content).decode()
    assert list(csv.reader(io.StringIO(body))) == [["id", "note"], ["1", 'a, "b"'], ["2", ""]]
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response[DATA_CUT_HEADER]


def test_csv_stream_sends_one_chunk_per_batch_not_one_per_row():
    rows = ((i, "x") for i in range(ROWS_PER_CHUNK * 2 + 1))
    chunks = list(streamed_csv_response(["id", "v"], rows).streaming_content)
    assert len(chunks) == 1 + 3  # header, two full batches, the remainder
    assert b"".join(chunks).count(b"\n") == ROWS_PER_CHUNK * 2 + 2


def test_ndjson_stream_writes_one_object_per_line_with_iso_dates():
    response = streamed_ndjson_response(
        ["id", "day", "dose"], iter([(1, date(2025, 3, 1), Decimal("12.5"))])
    )
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"id": 1, "day": "2025-03-01", "dose": "12.5"}
    ]
