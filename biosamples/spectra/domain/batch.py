"""A laboratory's batch of spectra: one zip holding ``manifest.csv`` and the spectrum files it
names. Checked whole: every problem is reported with its file and line, and the caller saves
nothing unless there is none.

Manifest columns: ``file, aliquot_label, technique, instrument, acquired_at, replicate``
(``acquired_at`` an ISO date-time with its time zone; ``replicate`` 1, 2, 3…).
"""

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

from biosamples.spectra.domain.readers import (
    RawSpectrum,
    SpectrumFileError,
    format_of,
    read_spectrum,
)

MANIFEST = "manifest.csv"
COLUMNS = ("file", "aliquot_label", "technique", "instrument", "acquired_at", "replicate")
MAX_FILES = 5000
MAX_ZIP_BYTES = 500_000_000
MAX_REPLICATE = 20


@dataclass(frozen=True)
class Issue:
    file: str
    line: int | None
    message: str

    def __str__(self):
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class BatchRejected(ValueError):
    def __init__(self, issues):
        self.issues = tuple(issues)
        super().__init__(f"{len(self.issues)} problem(s); nothing was imported")


@dataclass
class BatchEntry:
    line: int
    file: str
    aliquot_label: str
    technique: str
    instrument: str
    acquired_at: datetime | None = None
    replicate: int | None = None
    data: bytes = b""
    checksum: str = ""
    spectrum: RawSpectrum | None = None
    source_format: str = ""
    issues: list[Issue] = field(default_factory=list)


def _time(text):
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("no time zone")
    return value


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def read_batch(data, *, techniques, labels, now, taken=frozenset()):
    """Entries of the zip ``data`` with their spectra, or ``BatchRejected`` with every issue.

    ``techniques``: codes this laboratory measures; ``labels``: aliquot labels it may report
    on; ``taken``: (label, technique, replicate) already stored; ``now`` refuses acquisition
    times in the future.
    """
    if len(data) > MAX_ZIP_BYTES:
        raise BatchRejected([Issue("(zip)", None, f"larger than {MAX_ZIP_BYTES} bytes")])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [i.filename for i in archive.infolist() if not i.is_dir()]
    except zipfile.BadZipFile:
        raise BatchRejected([Issue("(zip)", None, "not a zip file")]) from None
    if len(names) > MAX_FILES + 1:
        raise BatchRejected([Issue("(zip)", None, f"more than {MAX_FILES} files")])
    if MANIFEST not in names:
        raise BatchRejected([Issue("(zip)", None, f"no {MANIFEST} at the top of the zip")])
    try:
        manifest_text = archive.read(MANIFEST).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchRejected([Issue(MANIFEST, None, "not UTF-8 text")]) from None
    reader = csv.DictReader(io.StringIO(manifest_text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise BatchRejected([Issue(MANIFEST, 1, f"missing column(s) {', '.join(missing)}; "
                                                f"expected {', '.join(COLUMNS)}")])
    entries, issues = [], []
    seen_files, seen_keys = {}, {}
    for number, raw in enumerate(reader, start=2):
        values = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        if not any(values.values()):
            continue
        entry = BatchEntry(line=number, file=values["file"],
                           aliquot_label=values["aliquot_label"],
                           technique=values["technique"].upper(),
                           instrument=values["instrument"])

        def bad(message, entry=entry, number=number):
            entry.issues.append(Issue(MANIFEST, number, message))

        if not entry.file:
            bad("file is empty")
        elif entry.file in seen_files:
            bad(f"{entry.file} is also named on line {seen_files[entry.file]}")
        elif entry.file not in names:
            bad(f"{entry.file} is not in the zip")
        seen_files.setdefault(entry.file, number)
        if not entry.aliquot_label:
            bad("aliquot_label is empty")
        elif entry.aliquot_label not in labels:
            bad(f"{entry.aliquot_label} is not an aliquot received by your laboratory")
        if entry.technique not in techniques:
            bad(f"technique {values['technique']!r} is not measured by your laboratory "
                f"(expected {', '.join(sorted(techniques))})")
        if not entry.instrument:
            bad("instrument is empty")
        elif len(entry.instrument) > 100:
            bad("instrument is longer than 100 characters")
        try:
            entry.acquired_at = _time(values["acquired_at"])
            if entry.acquired_at > now:
                bad("acquired_at is in the future")
        except ValueError:
            bad("acquired_at must be an ISO date-time with a time zone, e.g. "
                "2026-03-02T14:05:00+01:00")
        try:
            entry.replicate = int(values["replicate"])
            if not 1 <= entry.replicate <= MAX_REPLICATE:
                raise ValueError
        except ValueError:
            bad(f"replicate must be a whole number from 1 to {MAX_REPLICATE}")
        key = (entry.aliquot_label, entry.technique, entry.replicate)
        if entry.replicate is not None and entry.aliquot_label:
            if key in seen_keys:
                bad(f"replicate {entry.replicate} of {entry.aliquot_label} ({entry.technique}) "
                    f"is also on line {seen_keys[key]}")
            elif key in taken:
                bad(f"replicate {entry.replicate} of {entry.aliquot_label} ({entry.technique}) "
                    "was already uploaded")
            seen_keys.setdefault(key, number)
        if entry.file in names and format_of(entry.file) is None:
            bad(f"{entry.file}: use .jdx/.dx (JCAMP-DX) or .csv")
        elif entry.file in names and seen_files[entry.file] == number:
            entry.data = archive.read(entry.file)
            entry.checksum = sha256(entry.data)
            try:
                entry.spectrum = read_spectrum(entry.file, entry.data)
                entry.source_format = entry.spectrum.source_format
            except SpectrumFileError as exc:
                entry.issues += [Issue(entry.file, p.line, p.message) for p in exc.problems]
        issues += entry.issues
        entries.append(entry)
    named = set(seen_files)
    for name in names:
        if name != MANIFEST and name not in named:
            issues.append(Issue(name, None, f"in the zip but not named in {MANIFEST}"))
    if not entries and not issues:
        issues.append(Issue(MANIFEST, None, "the manifest has no rows"))
    if issues:
        raise BatchRejected(issues)
    return entries
