"""Prescreen a CSV of candidates against a study's eligibility criteria, writing nothing.

The same engine as the screening pages (``eligibility.domain.prescreen.prescreen_row``): one output
line per input row, ``candidate_id,result,failed,missing``. A bad cell is reported on stderr with
its row, candidate and column, and counts as missing; it never stops the batch. Row numbers are
the file's line numbers (the header is row 1), which is the row a spreadsheet shows.
"""

import csv
import io
import sys
from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from eligibility.domain.engine import Verdict
from eligibility.domain.prescreen import PRESCREEN_HEADER, prescreen_fields, prescreen_row
from eligibility.domain.variables import unknown_columns
from trialsite import csv_safety
from trialsite.protocols import all_protocols, get_protocol

ID_COLUMN = "candidate_id"


class Command(BaseCommand):
    help = (
        "Prescreen the candidates of a CSV file (header row: the study's variable names, "
        "candidate_id required) and print candidate_id,result,failed,missing. Writes nothing "
        "to the database."
    )
    #: Tests pass a text stream as ``stdin`` to ``call_command``.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file of candidates (UTF-8), or - for stdin")
        parser.add_argument(
            "--study", required=True, help="Study code: " + ", ".join(self._known_codes())
        )
        parser.add_argument("--output", help="Write the result CSV to this file (default stdout)")

    def handle(self, *args, **options):
        protocol = self._protocol(options["study"])
        text = self._read(options["file"], options.get("stdin"))
        rows = csv.reader(io.StringIO(text, newline=""))
        header = self._header(rows, options["file"])
        self._warn_about_columns(protocol, header)
        if options["output"]:
            try:
                with open(options["output"], "w", encoding="utf-8", newline="") as out:
                    counts, failed_rows = self._prescreen(protocol, header, rows, out)
            except OSError as error:
                raise CommandError(f"cannot write {options['output']}: {error}") from None
        else:
            counts, failed_rows = self._prescreen(protocol, header, rows, self.stdout)
        self.stderr.write(_summary(counts, failed_rows), style_func=lambda text: text)

    # --- input --------------------------------------------------------------------------------

    @staticmethod
    def _known_codes():
        return sorted(p.code for p in all_protocols())

    def _protocol(self, code):
        try:
            return get_protocol(code)
        except KeyError:
            raise CommandError(
                f"unknown study {code!r}; known studies: {', '.join(self._known_codes())}"
            ) from None

    @staticmethod
    def _read(path, stdin):
        """Return the whole input as text (read first, so a bad encoding fails before output)."""
        try:
            if path == "-":
                if stdin is not None:
                    return stdin.read()
                return sys.stdin.buffer.read().decode("utf-8-sig")
            with open(path, encoding="utf-8-sig", newline="") as stream:
                return stream.read()
        except UnicodeDecodeError as error:
            raise CommandError(
                f"{path} is not UTF-8 text (byte {error.start}): save it as \"CSV UTF-8\""
            ) from None
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror or error}") from None

    @staticmethod
    def _header(rows, path):
        try:
            header = next(rows, None)
        except csv.Error as error:
            raise CommandError(f"{path}, row 1: not a readable CSV header ({error})") from None
        if not header:
            raise CommandError(f"{path} is empty: the first row must name the columns")
        header[0] = header[0].removeprefix("\ufeff")  # a BOM that came through a text stream
        header = [name.strip() for name in header]
        if ID_COLUMN not in header:
            hint = ""
            if len(header) == 1 and ";" in header[0]:
                hint = "; the columns look separated by ';': separate them with commas"
            raise CommandError(
                f"{path} has no {ID_COLUMN} column; the first row must name the columns "
                f"(found: {', '.join(header) or 'nothing'}){hint}"
            )
        repeated = sorted(name for name, n in Counter(header).items() if n > 1 and name)
        if repeated:
            raise CommandError(
                f"{path}: column(s) {', '.join(repeated)} appear more than once in the header; "
                "which value to use would be a guess"
            )
        return header

    def _warn_about_columns(self, protocol, header):
        variables = protocol.eligibility_variables
        unknown = [name for name in unknown_columns(variables, header) if name]
        if unknown:
            self.stderr.write(
                f"warning: columns that are not {protocol.code} variables are ignored: "
                + ", ".join(unknown),
                style_func=self.style.WARNING,
            )
        absent = [v.name for v in variables if v.name not in header]
        if absent:
            self.stderr.write(
                f"warning: no column for {', '.join(absent)}: their values count as missing",
                style_func=self.style.WARNING,
            )

    # --- evaluation ---------------------------------------------------------------------------

    def _prescreen(self, protocol, header, rows, out):
        writer = csv_safety.writer(out, lineterminator="\n")
        writer.writerow(PRESCREEN_HEADER)
        counts, failed_rows = Counter(), 0
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                break
            except csv.Error as error:
                raise CommandError(f"row {rows.line_num}: unreadable CSV ({error})") from None
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            raw = dict(zip(header, cells, strict=False))
            row = prescreen_row(protocol.eligibility_variables, protocol.criteria, raw)
            writer.writerow(prescreen_fields(row))
            counts[row.result] += 1
            problems = [_cell_problem(message) for message in row.errors]
            if len(cells) > len(header):
                problems.append(
                    f"{len(cells) - len(header)} more cell(s) than the header has columns "
                    "(ignored)"
                )
            if problems:
                failed_rows += 1
                who = f"candidate {row.candidate_id}" if row.candidate_id else "no candidate_id"
                for problem in problems:
                    self.stderr.write(f"error: row {rows.line_num} ({who}), {problem}")
        return counts, failed_rows


def _cell_problem(message):
    """'who_ps: ...' (the engine's message) as 'column who_ps: ...'."""
    column, _, text = message.partition(": ")
    return f"column {column}: {text}"


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _summary(counts, failed_rows):
    total = sum(counts.values())
    return (
        f"{_plural(total, 'candidate')}: {counts[Verdict.ELIGIBLE]} eligible, "
        f"{counts[Verdict.NOT_ELIGIBLE]} not eligible, {counts[Verdict.INCOMPLETE]} incomplete, "
        f"{_plural(failed_rows, 'row')} with errors"
    )
