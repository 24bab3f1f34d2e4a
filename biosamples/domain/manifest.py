"""The central laboratory's results manifest: parse and check every row, report per row.

Columns: ``aliquot_label, measured_at, instrument, result_file, qc_status``. The import is all or
nothing: if any row is wrong, the caller saves none and shows every row's errors.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

COLUMNS = ("aliquot_label", "measured_at", "instrument", "result_file", "qc_status")
QC_STATUSES = ("pass", "fail", "repeat")
MAX_ROWS = 10000


@dataclass
class ResultRow:
    line: int
    aliquot_label: str
    measured_at: datetime | None = None
    instrument: str = ""
    result_file: str = ""
    qc_status: str = ""
    errors: list[str] = field(default_factory=list)


class ManifestError(ValueError):
    """The file as a whole cannot be read (wrong columns, not CSV, empty)."""


def _parse_time(text):
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("no time zone")
    return value


def _rows_or_refusal(reader):
    """The reader's rows; a row the csv module cannot read (a field over its size limit, a
    stray quote) refuses the file naming that line, instead of failing with a server error."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            # ``line_num`` counts the lines read whole; the refused row starts on the next.
            raise ManifestError(f"Line {reader.line_num + 1}: unreadable CSV ({error}); "
                                "nothing was imported.") from None


def parse_manifest(text, *, known, receivable, now):
    """Rows of ``text`` with their errors.

    ``known``: labels of aliquots this laboratory may report on; ``receivable``: those of them
    received and still without a result. ``now`` refuses measurements dated in the future.
    """
    if "\x00" in text:
        raise ManifestError("The file contains NUL characters: it is not a CSV text file.")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as error:
        raise ManifestError(f"Line 1: unreadable CSV ({error}).") from None
    if not header:
        raise ManifestError("The file is empty.")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ManifestError(f"Missing column(s): {', '.join(missing)}. Expected: "
                            f"{', '.join(COLUMNS)}.")
    rows, seen = [], {}
    for number, raw in enumerate(_rows_or_refusal(reader), start=2):
        if len(rows) >= MAX_ROWS:
            raise ManifestError(f"At most {MAX_ROWS} rows per file.")
        values = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(values.values()):
            continue
        row = ResultRow(line=number, aliquot_label=values.get("aliquot_label", ""),
                        instrument=values.get("instrument", ""),
                        result_file=values.get("result_file", ""),
                        qc_status=values.get("qc_status", "").lower())
        label = row.aliquot_label
        if not label:
            row.errors.append("aliquot_label is empty")
        elif label in seen:
            row.errors.append(f"{label} is also on line {seen[label]}: one result per aliquot")
        elif label not in known:
            row.errors.append(f"unknown aliquot label {label}")
        elif label not in receivable:
            row.errors.append(f"{label} has not been received by the laboratory, or already has "
                              "a result")
        if label and label not in seen:
            seen[label] = number
        try:
            row.measured_at = _parse_time(values.get("measured_at", ""))
            if row.measured_at > now:
                row.errors.append("measured_at is in the future")
        except ValueError:
            row.errors.append("measured_at must be an ISO date-time with a time zone, e.g. "
                              "2026-03-02T14:05:00+01:00")
        for name, limit in (("instrument", 100), ("result_file", 255)):
            if not getattr(row, name):
                row.errors.append(f"{name} is empty")
            elif len(getattr(row, name)) > limit:
                row.errors.append(f"{name} is longer than {limit} characters")
        if row.qc_status not in QC_STATUSES:
            row.errors.append(f"qc_status must be one of {', '.join(QC_STATUSES)}")
        rows.append(row)
    if not rows:
        raise ManifestError("The file has a header but no rows.")
    return rows
