"""Datasets as statistical files: SAS transport v5 (``.xpt``), SPSS (``.sav``), Stata (``.dta``).

Written by pyreadstat from the dataset's rows (the same rows, in the same order, as its CSV file)
with the data dictionary's labels:

- **names**: each format has its own limits (SAS v5: 8 characters, upper case; Stata: 32, a few
  reserved words; SPSS: 64 bytes, a few reserved words). ``format_names`` maps the dataset's
  names to names within those limits, by a rule that depends only on the dataset's variables in
  their published order: a variable added at the end never renames an earlier one. The mapping
  is in the dictionary (``xpt_name``, ``sav_name``, ``dta_name``).
- **labels**: the variable labels (SAS v5 keeps 40 characters; the full label is in the
  dictionary); coded variables get value labels where the format allows them (SPSS on numbers
  and text, Stata on numbers only; SAS transport files carry none).
- **types**: integers, decimals and yes/no (0/1) are numbers; dates are dates and times are
  date-times (UTC), each in the format's own date type; text is text.
- **missing values**: a missing number, date or time is the format's system missing (``.`` in
  SAS and Stata, SYSMIS in SPSS); missing text is an empty string, as in the CSV files.

These formats cannot be streamed (their headers hold the row count and column widths), so a file
is built by the package job, in memory, then written to a temporary file pyreadstat fills.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

#: SAS transport v5 limits (the version the FDA and PMDA accept).
XPT_NAME_MAX, XPT_LABEL_MAX, XPT_TEXT_MAX_BYTES = 8, 40, 200
DTA_NAME_MAX, SAV_NAME_MAX = 32, 64

_DTA_RESERVED = frozenset({
    "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n",
    "_pi", "_pred", "_rc", "_skip", "str", "strl", "using", "with",
})
_SAV_RESERVED = frozenset({"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or",
                           "to", "with"})


@dataclass(frozen=True)
class StatFormat:
    key: str  # the file extension
    label: str
    media_type: str


FORMATS = {
    "xpt": StatFormat("xpt", "SAS transport v5", "application/x-sas-xport"),
    "sav": StatFormat("sav", "SPSS", "application/x-spss-sav"),
    "dta": StatFormat("dta", "Stata", "application/x-stata-dta"),
}


def _unique(base, limit, taken):
    """``base`` cut to ``limit``; if taken, cut shorter and numbered 2, 3, ..."""
    candidate = base[:limit]
    number = 1
    while candidate.lower() in taken:
        number += 1
        suffix = str(number)
        candidate = base[:limit - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def _clean(name, *, first_ok=r"[A-Za-z_]"):
    name = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return name if re.match(first_ok, name) else f"v_{name}"


def format_names(names, fmt) -> dict[str, str]:
    """``{dataset name: name in fmt}`` for the names in their published order (stable)."""
    taken, out = set(), {}
    for name in names:
        if fmt == "xpt":
            out[name] = _unique(_clean(name).upper(), XPT_NAME_MAX, taken)
        elif fmt == "dta":
            base = _clean(name)
            if base.lower() in _DTA_RESERVED:
                base = f"{base}_"
            out[name] = _unique(base, DTA_NAME_MAX, taken)
        elif fmt == "sav":
            base = _clean(name, first_ok=r"[A-Za-z]")
            if base.lower() in _SAV_RESERVED:
                base = f"{base}_"
            out[name] = _unique(base, SAV_NAME_MAX, taken)
        else:
            raise ValueError(f"unknown format {fmt!r}")
    return out


def table_name(dataset_name):
    """The SAS member name of a dataset (8 characters, upper case)."""
    return _clean(dataset_name).upper()[:XPT_NAME_MAX]


def _cut_bytes(value, limit):
    return value.encode()[:limit].decode(errors="ignore")


def xpt_label(text):
    """A label within SAS v5's 40 bytes (UTF-8; cut with "..." when longer)."""
    if len(text.encode()) <= XPT_LABEL_MAX:
        return text
    return _cut_bytes(text, XPT_LABEL_MAX - 3) + "..."


def xpt_text(value: str) -> str:
    """Text within SAS v5's 200 bytes (UTF-8), cut on a character boundary."""
    return _cut_bytes(value, XPT_TEXT_MAX_BYTES)


def _numeric_codes(var):
    """Value labels keyed by numbers, if every code of ``var`` is a whole number."""
    try:
        return {int(code): label for code, label in var.codes}
    except ValueError:
        return None


def _typed(var, value):
    """A value as its variable's type: some datasets read typed values out of JSON, as text."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or var.type == "text":
        return value
    if var.type in ("integer", "boolean"):
        return int(value)
    if var.type == "decimal":
        return Decimal(value)
    if var.type == "date":
        return dt.date.fromisoformat(value)
    if var.type == "datetime":
        return dt.datetime.fromisoformat(value)
    return value


def _column(var, values):
    import numpy as np
    import pandas as pd

    values = [_typed(var, v) for v in values]
    if var.type in ("integer", "boolean"):
        return pd.array([None if v is None else int(v) for v in values], dtype="Int64")
    if var.type == "decimal":
        return pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
    if var.type == "date":
        return pd.Series(values, dtype="object")
    if var.type == "datetime":
        # Naive UTC: the formats have no time zone; the labels say UTC.
        return pd.to_datetime([None if v is None else v.astimezone(dt.UTC).replace(tzinfo=None)
                               for v in values])
    return pd.Series(["" if v is None else str(v) for v in values], dtype="object")


def dataset_frame(dataset, rows):
    """The rows (tuples in variable order) as a DataFrame keyed by the dataset's names."""
    import pandas as pd

    columns = list(zip(*rows, strict=True)) if rows else [()] * len(dataset.variables)
    return pd.DataFrame({var.name: _column(var, values)
                         for var, values in zip(dataset.variables, columns, strict=True)})


#: Each format's date and date-time display formats.
_DATE_FORMATS = {"xpt": ("DATE9", "DATETIME20"), "sav": ("DATE11", "DATETIME20"),
                 "dta": ("%td", "%tc")}


def _formats(dataset, frame, names, fmt):
    """Display formats pyreadstat cannot infer, and the frame they apply to: a date column
    without any date (pyreadstat would take it for text) is written as a missing number in
    the format's date type."""
    import numpy as np
    import pandas as pd

    formats = {}
    for var in dataset.variables:
        name = names[var.name]
        if var.type == "date" and frame[name].isna().all():
            frame[name] = pd.Series(np.nan, index=frame.index, dtype="float64")
            formats[name] = _DATE_FORMATS[fmt][0]
        elif var.type == "datetime" and frame[name].isna().all():
            frame[name] = pd.Series(np.nan, index=frame.index, dtype="float64")
            formats[name] = _DATE_FORMATS[fmt][1]
        elif fmt == "sav" and var.type in ("integer", "boolean"):
            formats[name] = "F12.0"
    return frame, formats


def write(dataset, frame, fmt, path):
    """Write ``frame`` (from :func:`dataset_frame`) as ``fmt`` to ``path``."""
    import pyreadstat

    names = format_names(dataset.names, fmt)
    frame = frame.rename(columns=names)
    frame, formats = _formats(dataset, frame, names, fmt)
    labels = {names[v.name]: v.label for v in dataset.variables}
    if fmt == "xpt":
        for var in dataset.variables:
            if var.type not in ("integer", "boolean", "decimal", "date", "datetime"):
                frame[names[var.name]] = frame[names[var.name]].map(xpt_text)
        pyreadstat.write_xport(
            frame, str(path), file_label=xpt_label(dataset.label),
            column_labels={k: xpt_label(v) for k, v in labels.items()},
            table_name=table_name(dataset.name), file_format_version=5,
            variable_format=formats or None)
        return
    value_labels = {}
    for var in dataset.variables:
        if not var.codes:
            continue
        numeric = _numeric_codes(var) if var.type == "integer" else None
        if numeric is not None:
            value_labels[names[var.name]] = numeric
        elif fmt == "sav" and var.type == "text":
            value_labels[names[var.name]] = dict(var.codes)
    if fmt == "sav":
        pyreadstat.write_sav(frame, str(path), file_label=dataset.label, column_labels=labels,
                             variable_value_labels=value_labels,
                             variable_format=formats or None)
    else:
        pyreadstat.write_dta(frame, str(path), file_label=dataset.label[:80],
                             column_labels={k: v[:80] for k, v in labels.items()},
                             variable_value_labels=value_labels, version=15,
                             variable_format=formats or None)


def file_chunks(dataset, frame, fmt, chunk_size=1 << 16):
    """The file's bytes, a chunk at a time (written to a temporary file first)."""
    with tempfile.TemporaryDirectory(prefix="trialsite-stat-") as folder:
        path = Path(folder) / f"{dataset.name}.{fmt}"
        write(dataset, frame, fmt, path)
        with path.open("rb") as handle:
            while block := handle.read(chunk_size):
                yield block
