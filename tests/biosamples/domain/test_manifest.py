"""Results manifest parsing: per-row errors, whole-file refusals."""

from datetime import UTC, datetime

import pytest

from biosamples.domain.manifest import ManifestError, parse_manifest

NOW = datetime(2026, 6, 1, tzinfo=UTC)
HEAD = "aliquot_label,measured_at,instrument,result_file,qc_status\n"


def parse(body, known=("A-01", "A-02", "B-01"), receivable=("A-01", "A-02")):
    return parse_manifest(HEAD + body, known=set(known), receivable=set(receivable), now=NOW)


def test_good_rows_parse_with_no_error():
    rows = parse("A-01,2026-05-02T10:00:00+02:00,FTIR-1,runs/a01.csv,PASS\n"
                 "A-02,2026-05-02T10:05:00Z,FTIR-1,runs/a02.csv,repeat\n")
    assert [(r.aliquot_label, r.qc_status, r.errors) for r in rows] == [
        ("A-01", "pass", []), ("A-02", "repeat", [])]
    assert rows[0].measured_at == datetime(2026, 5, 2, 8, tzinfo=UTC)


def test_every_bad_row_gets_its_own_errors():
    rows = parse("A-01,2026-05-02T10:00:00Z,FTIR-1,a.csv,pass\n"
                 "A-01,2026-05-02T10:00:00Z,FTIR-1,a.csv,pass\n"
                 "ZZ-99,2026-05-02T10:00:00Z,FTIR-1,z.csv,pass\n"
                 "B-01,2026-05-02T10:00:00Z,FTIR-1,b.csv,pass\n"
                 "A-02,yesterday,,b.csv,great\n",
                 known=("A-01", "A-02", "A-03", "B-01"), receivable=("A-01", "A-02", "A-03"))
    errors = {r.line: r.errors for r in rows}
    assert errors[2] == []
    assert errors[3] == ["A-01 is also on line 2: one result per aliquot"]
    assert errors[4] == ["unknown aliquot label ZZ-99"]
    assert "not been received" in errors[5][0]
    assert len(errors[6]) == 3  # date, instrument, QC status
    future = parse("A-03,2026-07-01T00:00:00Z,FTIR-1,b.csv,pass\n",
                   known=("A-03",), receivable=("A-03",))
    assert future[0].errors == ["measured_at is in the future"]


def test_a_naive_time_is_refused():
    assert "time zone" in parse("A-01,2026-05-02T10:00:00,FTIR,a.csv,pass\n")[0].errors[0]


@pytest.mark.parametrize("text,words", [
    ("", "empty"),
    ("label,when\nA-01,x\n", "Missing column"),
    (HEAD, "no rows"),
    (HEAD + "A-01\x00,x,y,z,pass\n", "NUL"),
])
def test_unreadable_files_are_refused_whole(text, words):
    with pytest.raises(ManifestError, match=words):
        parse_manifest(text, known=set(), receivable=set(), now=NOW)
