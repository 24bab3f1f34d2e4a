"""CSV formula injection: every CSV the application writes neutralises risky cells.

A spreadsheet opens a CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or a
carriage return, which some strip before parsing) as a formula, so a value typed into a form
(``=HYPERLINK(...)``) could run in a data manager's spreadsheet. OWASP's rule: prefix such a
cell with a single quote, which spreadsheets show as text. Only text cells are changed: numbers,
dates and booleans are written as the database holds them (a negative lab value stays ``-1.5``).
NDJSON and ODM exports keep the raw value; the data dictionary says so.
"""

import csv

#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """``value`` with a leading ``'`` if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_row(row):
    return [neutralise_cell(value) for value in row]


class SafeWriter:
    """``csv.writer`` whose every row is neutralised first; same arguments as ``csv.writer``."""

    def __init__(self, fileobj, *args, **kwargs):
        self._writer = csv.writer(fileobj, *args, **kwargs)

    def writerow(self, row):
        return self._writer.writerow(neutralise_row(row))

    def writerows(self, rows):
        return self._writer.writerows(neutralise_row(row) for row in rows)


def writer(fileobj, *args, **kwargs):
    """A CSV writer that neutralises formula cells (drop-in for ``csv.writer``)."""
    return SafeWriter(fileobj, *args, **kwargs)


#: The same rule in SQL, for CSV that PostgreSQL writes itself (``COPY … TO STDOUT``).
def neutralise_sql(sql):
    text = f"CAST(({sql}) AS text)"
    return (f"CASE WHEN left({text}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) "
            f"THEN chr(39) || {text} ELSE {text} END")
