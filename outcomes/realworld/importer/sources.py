"""The files of an import as read, and what is wrong with them (``Problem``)."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    row: int  # line of the file: 1 is the header, 2 the first data row, 0 the file itself
    column: str
    message: str

    def as_dict(self):
        return {"file": self.file, "row": self.row, "column": self.column,
                "message": self.message}


class ImportRefused(Exception):
    """The files have problems: nothing was saved."""

    def __init__(self, problems):
        self.problems = sorted(problems)
        super().__init__(f"{len(self.problems)} problem(s); nothing was imported.")


@dataclass
class SourceFile:
    name: str
    sha256: str
    rows: list  # (row number, {column: text})
    header: tuple

    @property
    def reason(self):
        return f"Imported from {self.name} sha256:{self.sha256}"


def read_file(name, content):
    """Parse one CSV file (bytes, UTF-8 with or without BOM) into a ``SourceFile``."""
    if isinstance(content, str):
        content = content.encode()
    digest = hashlib.sha256(content).hexdigest()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused([Problem(name, 0, "", f"Not UTF-8 text ({exc.reason}).")]) from None
    if "\x00" in text:
        raise ImportRefused([Problem(name, 0, "", "The file holds NUL bytes: not a CSV file.")])
    reader = csv.reader(io.StringIO(text, newline=""))
    header = tuple(h.strip() for h in next(reader, ()))
    rows = []
    for number, cells in enumerate(reader, 2):
        if not any(c.strip() for c in cells):
            continue
        rows.append((number, {h: (cells[i].strip() if i < len(cells) else "")
                              for i, h in enumerate(header)}))
    return SourceFile(name, digest, rows, header)
