"""Aliquot labels and box positions: human-readable, and parseable back."""

import re

ROW_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_POSITION = re.compile(r"^\s*([A-Za-z])\s*0*([1-9][0-9]?)\s*$")


def aliquot_label(*, subject_id, visit_code, label_code, number, parent_label=None):
    """``JOKHC-001-M3-LB-02``: patient, visit, sample, aliquot number; a child adds ``.1``."""
    if parent_label:
        return f"{parent_label}.{number}"
    return f"{subject_id}-{visit_code}-{label_code}-{number:02d}"


def position_name(row, column):
    """Row 1, column 1 is ``A1``; row 9, column 9 is ``I9``."""
    return f"{ROW_LETTERS[row - 1]}{column}"


def parse_position(text, *, rows, columns):
    """``(row, column)`` of ``B7``; ValueError with a message for anything off the box."""
    match = _POSITION.match(text or "")
    if not match:
        raise ValueError("Give a position as a row letter and a column number, e.g. B7.")
    row = ROW_LETTERS.index(match.group(1).upper()) + 1
    column = int(match.group(2))
    if row > rows or column > columns:
        last = position_name(rows, columns)
        raise ValueError(f"{text.strip().upper()} is outside this box (A1 to {last}).")
    return row, column
