"""Read one spectrum file as received: JCAMP-DX (through the ``jcamp`` package) or a two-column
CSV (wavenumber, intensity). Every problem is reported with its line; nothing is guessed.
"""

import contextlib
import csv
import io
import math
import re
from dataclasses import dataclass

import jcamp
import numpy as np

JCAMP_SUFFIXES = (".jdx", ".dx", ".jcamp")
CSV_SUFFIXES = (".csv", ".txt")
#: Longest file accepted (a spectrum of a few thousand points is far below).
MAX_FILE_BYTES = 5_000_000
MIN_POINTS = 10


@dataclass(frozen=True)
class Problem:
    line: int | None
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}" if self.line else self.message


class SpectrumFileError(ValueError):
    """The file cannot be read as a spectrum; ``problems`` lists each with its line."""

    def __init__(self, problems):
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class RawSpectrum:
    """The points as received, sorted by ascending wavenumber."""

    x: np.ndarray
    y: np.ndarray
    source_format: str


def format_of(name):
    lower = name.lower()
    if lower.endswith(JCAMP_SUFFIXES):
        return "jcamp"
    if lower.endswith(CSV_SUFFIXES):
        return "csv"
    return None


def _text(data):
    if len(data) > MAX_FILE_BYTES:
        raise SpectrumFileError([Problem(None, f"the file is larger than {MAX_FILE_BYTES} "
                                               "bytes")])
    if b"\x00" in data:
        raise SpectrumFileError([Problem(None, "the file contains NUL bytes: not a text file")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise SpectrumFileError([Problem(line, "not UTF-8 text")]) from None


def _checked(x, y, fmt, problems):
    if problems:
        raise SpectrumFileError(problems)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.size < MIN_POINTS:
        raise SpectrumFileError([Problem(None, f"{x.size} data points; at least {MIN_POINTS} "
                                               "are needed")])
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise SpectrumFileError([Problem(None, "the data contain non-finite values")])
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if np.any(np.diff(x) == 0):
        raise SpectrumFileError([Problem(None, "the same wavenumber appears twice")])
    return RawSpectrum(x=x, y=y, source_format=fmt)


def read_csv(data):
    """Two columns, wavenumber (cm-1) then intensity; one header line allowed; comma,
    semicolon or tab separated."""
    text = _text(data)
    sample = text[:2048]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    xs, ys, problems = [], [], []
    for number, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) != 2:
            problems.append(Problem(number, f"{len(cells)} columns; expected 2 (wavenumber, "
                                            "intensity)"))
            continue
        try:
            x, y = float(cells[0]), float(cells[1])
        except ValueError:
            if number == 1 and not xs:
                continue  # the header line
            problems.append(Problem(number, f"{cells[0]!r}, {cells[1]!r} are not two numbers"))
            continue
        if not (math.isfinite(x) and math.isfinite(y)):
            problems.append(Problem(number, "not a finite number"))
            continue
        xs.append(x)
        ys.append(y)
    if not xs and not problems:
        problems.append(Problem(None, "the file has no data lines"))
    return _checked(xs, ys, "csv", problems)


def _label_lines(lines):
    labels = {}
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("##") and "=" in stripped:
            name = stripped[2:stripped.index("=")].strip().upper()
            labels.setdefault(name, (number, stripped[stripped.index("=") + 1:].strip()))
    return labels


def read_jcamp(data):
    """A JCAMP-DX 4.24/5.x spectrum with an ``XYDATA`` block in wavenumbers (``1/CM``)."""
    text = _text(data)
    lines = text.splitlines()
    labels = _label_lines(lines)
    problems = []
    if "JCAMP-DX" not in labels:
        problems.append(Problem(1, "no ##JCAMP-DX= label: not a JCAMP-DX file"))
    if "XYDATA" not in labels:
        problems.append(Problem(None, "no ##XYDATA= block (only XY spectra are accepted)"))
    if "END" not in labels:
        problems.append(Problem(len(lines), "no ##END= label: the file is cut short"))
    if "XUNITS" in labels and labels["XUNITS"][1].upper() not in ("1/CM", "CM-1", "CM^-1"):
        line, value = labels["XUNITS"]
        problems.append(Problem(line, f"XUNITS is {value!r}; wavenumbers in 1/CM are "
                                      "required"))
    for name in ("FIRSTX", "LASTX", "XFACTOR", "YFACTOR", "NPOINTS"):
        if name in labels:
            line, value = labels[name]
            try:
                float(value)
            except ValueError:
                problems.append(Problem(line, f"{name} is {value!r}, not a number"))
    if problems:
        raise SpectrumFileError(problems)
    fast = _plain_xydata(lines, labels)
    if fast is not None:
        return _checked(*fast, "jcamp", [])
    try:
        # The reader prints its cross-checks; they are not for the server's output.
        with contextlib.redirect_stdout(io.StringIO()):
            parsed = jcamp.read(io.StringIO(text))
    except Exception as exc:  # the reader raises whatever its parser meets
        raise SpectrumFileError([Problem(labels["XYDATA"][0],
                                         f"the XYDATA block cannot be read ({exc})")]) from None
    x, y = parsed.get("x"), parsed.get("y")
    if y is not None and "NPOINTS" in labels:
        line, value = labels["NPOINTS"]
        if int(float(value)) != len(y):
            raise SpectrumFileError([Problem(line, f"NPOINTS says {int(float(value))} but the "
                                                   f"data have {len(y)} points")])
    if x is None or y is None or len(x) != len(y):
        raise SpectrumFileError([Problem(labels["XYDATA"][0], "the XYDATA block cannot be "
                                                              "read")])
    return _checked(x, y, "jcamp", problems)


_PLAIN = re.compile(r"^[\s0-9eE+\-.,]*$")


def _plain_xydata(lines, labels):
    """The ``(X++(Y..Y))`` block read directly when it holds plain decimal numbers (AFFN), as
    most instruments write it: JCAMP-DX 4.24 §5.8, x of the k-th point = FIRSTX + k x
    (LASTX - FIRSTX) / (NPOINTS - 1), both times XFACTOR, y times YFACTOR. Anything else
    (compressed ASDF forms, other tables) returns None and goes through the ``jcamp`` reader;
    the tests check both give the same points."""
    if labels["XYDATA"][1].replace(" ", "").upper() != "(X++(Y..Y))":
        return None
    needed = ("FIRSTX", "LASTX", "NPOINTS")
    if any(name not in labels for name in needed):
        return None
    start = labels["XYDATA"][0]
    ys = []
    for line in lines[start:]:
        stripped = line.strip()
        if stripped.startswith("##"):
            break
        if not stripped or stripped.startswith("$$"):
            continue
        if not _PLAIN.match(stripped) or "," in stripped:
            return None
        ys.extend(stripped.split()[1:])
    try:
        y = np.array(ys, dtype=float)
        first, last = float(labels["FIRSTX"][1]), float(labels["LASTX"][1])
        count = int(float(labels["NPOINTS"][1]))
        xfactor = float(labels.get("XFACTOR", (0, "1"))[1])
        yfactor = float(labels.get("YFACTOR", (0, "1"))[1])
    except ValueError:
        return None
    if y.size != count or count < 2:
        return None
    x = (first + (last - first) / (count - 1) * np.arange(count)) * xfactor
    return x, y * yfactor


def read_spectrum(name, data):
    fmt = format_of(name)
    if fmt == "jcamp":
        return read_jcamp(data)
    if fmt == "csv":
        return read_csv(data)
    raise SpectrumFileError([Problem(None, "unknown file type: use .jdx/.dx (JCAMP-DX) or "
                                           ".csv")])


def jcamp_text(x, y, *, title, y_units, x_units="1/CM"):
    """A JCAMP-DX 5.01 text with an uncompressed ``(X++(Y..Y))`` block (used by the demo and
    the benchmark to produce what an instrument exports)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = ["##TITLE=" + title, "##JCAMP-DX=5.01", "##DATA TYPE=INFRARED SPECTRUM",
           f"##XUNITS={x_units}", f"##YUNITS={y_units}", "##XFACTOR=1", "##YFACTOR=1",
           f"##FIRSTX={x[0]:.6f}", f"##LASTX={x[-1]:.6f}", f"##NPOINTS={x.size}",
           f"##FIRSTY={y[0]:.6g}", "##XYDATA=(X++(Y..Y))"]
    for start in range(0, x.size, 8):
        chunk = y[start:start + 8]
        out.append(f"{x[start]:.6f} " + " ".join(f"{v:.7g}" for v in chunk))
    out.append("##END=")
    return "\n".join(out) + "\n"
