"""Keyset pagination for the pages' lists that grow with the study.

A page is read as "the next ``size`` rows after this key" in the list's own order, never as an
offset: page 200 of a 50,000-patient list costs what page 1 costs, and a row added while someone
pages does not shift the rows they have not seen yet. The cursor in a link holds the key of the
row to continue from (the values of the order's fields) and the direction, base64-encoded JSON;
a cursor that does not decode, or does not fit the list's order, is refused with ``BadCursor``
(the view answers 400: a hand-edited link is not silently read as page one).

The order's last field must be unique (``id``, a subject id), so each key names one row.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q

DEFAULT_PAGE_SIZE = 50


class BadCursor(ValueError):
    """A page link whose cursor is not one this list gave out."""


@dataclass(frozen=True)
class Page:
    items: list
    #: Cursor of the page after this one, or None on the last page.
    next_cursor: str | None
    #: Cursor of the page before this one, or None on the first page.
    previous_cursor: str | None

    @property
    def is_paginated(self):
        return self.next_cursor is not None or self.previous_cursor is not None


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def encode(direction, values):
    raw = json.dumps([direction, [_plain(v) for v in values]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(text, size):
    try:
        padded = text + "=" * (-len(text) % 4)
        direction, values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as error:
        raise BadCursor("This page link is not valid: start again from the first page.") \
            from error
    if direction not in ("next", "previous") or not isinstance(values, list) \
            or len(values) != size or not all(isinstance(v, str | int) for v in values):
        raise BadCursor("This page link is not valid: start again from the first page.")
    return direction, values


def _after(keys, values, descending=False):
    """Rows strictly after ``values`` in the ascending order of ``keys`` (before them when
    ``descending``): (k1 > v1) or (k1 = v1 and k2 > v2) or …"""
    lookup = "lt" if descending else "gt"
    condition = Q()
    for i, key in enumerate(keys):
        equal = {k: v for k, v in zip(keys[:i], values[:i], strict=True)}
        condition |= Q(**equal, **{f"{key}__{lookup}": values[i]})
    return condition


def _key_of(row, keys):
    values = []
    for key in keys:
        value = row
        for part in key.split("__"):
            value = getattr(value, part)
        values.append(_plain(value))
    return values


def keyset_page(queryset, *, keys, cursor=None, size=DEFAULT_PAGE_SIZE):
    """One page of ``queryset`` in the ascending order of ``keys`` (field paths, the last one
    unique), after or before the row named by ``cursor``; one query of ``size + 1`` rows."""
    keys = tuple(keys)
    direction, values = decode(cursor, len(keys)) if cursor else ("next", None)
    if direction == "next":
        qs = queryset.order_by(*keys)
        if values is not None:
            qs = qs.filter(_after(keys, values))
        rows = list(qs[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        has_previous = values is not None
        has_next = more
    else:
        qs = queryset.order_by(*(f"-{k}" for k in keys)).filter(
            _after(keys, values, descending=True))
        rows = list(qs[: size + 1])
        more = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_previous = more
        has_next = True
    return Page(
        items=rows,
        next_cursor=encode("next", _key_of(rows[-1], keys)) if rows and has_next else None,
        previous_cursor=(encode("previous", _key_of(rows[0], keys))
                         if rows and has_previous else None),
    )
