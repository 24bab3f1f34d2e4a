"""`manage.py prescreen`: a CSV of candidates in, candidate_id,result,failed,missing out."""

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command

from tests.eligibility.domain.test_icrg0201_criteria import ELIGIBLE, candidate
from tests.eligibility.domain.test_palmares2_criteria import ELIGIBLE as PALMARES_ELIGIBLE
from tests.eligibility.domain.test_palmares2_criteria import candidate as palmares_candidate
from trialsite.protocols import all_protocols

HEADER = "candidate_id,result,failed,missing"


def csv_text(rows, fieldnames=None):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fieldnames or list(ELIGIBLE), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def prescreen(text, *args, study="ICRG0201"):
    """Run the command on ``text`` through stdin; return (stdout lines, stderr lines)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("prescreen", "-", "--study", study, *args,
                 stdin=io.StringIO(text), stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue().splitlines()


def test_prints_the_header_and_one_line_per_candidate_in_input_order():
    out, err = prescreen(csv_text([
        candidate(candidate_id="C003"),
        candidate(candidate_id="C001", sex="M", neutrophils_g_l="1.2"),
        candidate(candidate_id="C002", hiv="NOT_DONE", platelets_g_l=""),
    ]))
    assert out == [
        HEADER,
        "C003,ELIGIBLE,,",
        "C001,NOT_ELIGIBLE,EXC01;INC10,",
        "C002,INCOMPLETE,,hiv;platelets_g_l",
    ]
    assert err == ["3 candidates: 1 eligible, 1 not eligible, 1 incomplete, 0 rows with errors"]


def test_failed_codes_and_missing_variables_are_sorted_and_both_reported():
    out, _ = prescreen(csv_text([candidate(
        stage="IIIA", who_ps="3", sex="M", hiv="NOT_DONE", platelets_g_l="", weight_kg="",
    )]))
    assert out[1] == "C001,NOT_ELIGIBLE,EXC01;INC03;INC07,hiv;platelets_g_l"


def test_cells_are_quoted_as_csv_requires():
    out, _ = prescreen(csv_text([candidate(candidate_id='C,"4"')]))
    assert out[1] == '"C,""4""",ELIGIBLE,,'
    assert next(csv.reader([out[1]]))[0] == 'C,"4"'


def test_a_bad_number_names_row_candidate_and_column_and_the_batch_goes_on():
    out, err = prescreen(csv_text([
        candidate(candidate_id="C001"),
        candidate(candidate_id="C002", neutrophils_g_l="abc"),
        candidate(candidate_id="C003"),
    ]))
    assert out == [HEADER, "C001,ELIGIBLE,,", "C002,INCOMPLETE,,neutrophils_g_l",
                   "C003,ELIGIBLE,,"]
    assert err == [
        "error: row 3 (candidate C002), column neutrophils_g_l: 'abc' is not a number",
        "3 candidates: 2 eligible, 0 not eligible, 1 incomplete, 1 row with errors",
    ]


def test_a_decimal_comma_gets_a_hint():
    _, err = prescreen(csv_text([candidate(weight_kg="68,5")]))
    assert err[0] == ("error: row 2 (candidate C001), column weight_kg: '68,5' is not a number "
                      "(use a point as the decimal separator)")


def test_an_unknown_code_and_a_bad_date_are_reported_per_cell():
    out, err = prescreen(csv_text([candidate(her2_ihc="4+", lab_date="2024-02-30")]))
    assert out[1] == "C001,INCOMPLETE,,her2_ihc;lab_date"
    assert err[:2] == [
        "error: row 2 (candidate C001), column her2_ihc: unknown code '4+' "
        "(expected one of 0, 1+, 2+, 3+)",
        "error: row 2 (candidate C001), column lab_date: '2024-02-30' is not a valid calendar "
        "date",
    ]
    assert err[2].endswith("1 incomplete, 1 row with errors")


def test_a_row_without_candidate_id_is_reported_and_still_evaluated():
    out, err = prescreen(csv_text([candidate(candidate_id=""), candidate(candidate_id="C002")]))
    assert out[1:] == [",ELIGIBLE,,", "C002,ELIGIBLE,,"]
    assert err[0] == "error: row 2 (no candidate_id), column candidate_id: missing"
    assert err[-1] == "2 candidates: 2 eligible, 0 not eligible, 0 incomplete, 1 row with errors"


def test_extra_cells_are_reported_and_ignored():
    text = csv_text([candidate()]).rstrip("\n") + ",surplus\n"
    out, err = prescreen(text)
    assert out[1] == "C001,ELIGIBLE,,"
    assert err[0] == ("error: row 2 (candidate C001), 1 more cell(s) than the header has "
                      "columns (ignored)")


def test_unknown_columns_are_a_warning_not_an_error():
    fields = [*ELIGIBLE, "site", "neutrophils"]
    out, err = prescreen(csv_text([{**candidate(), "site": "A1", "neutrophils": "3"}], fields))
    assert out[1] == "C001,ELIGIBLE,,"
    assert err[0] == ("warning: columns that are not ICRG0201 variables are ignored: "
                      "site, neutrophils")


def test_absent_columns_are_named_and_count_as_missing():
    fields = [name for name in ELIGIBLE if name not in ("hiv", "hbv")]
    out, err = prescreen(csv_text([{k: candidate()[k] for k in fields}], fields))
    assert out[1] == "C001,INCOMPLETE,,hbv;hiv"
    assert err[0] == "warning: no column for hiv, hbv: their values count as missing"


def test_a_file_without_candidate_id_column_is_refused():
    fields = [name for name in ELIGIBLE if name != "candidate_id"]
    with pytest.raises(CommandError, match="no candidate_id column"):
        prescreen(csv_text([{k: candidate()[k] for k in fields}], fields))


def test_a_semicolon_separated_file_is_refused_with_a_hint():
    with pytest.raises(CommandError, match="separated by ';'"):
        prescreen("candidate_id;sex\nC001;F\n")


def test_a_repeated_column_is_refused():
    with pytest.raises(CommandError, match="sex appear more than once"):
        prescreen("candidate_id,sex,sex\nC001,F,M\n")


def test_an_empty_file_is_refused():
    with pytest.raises(CommandError, match="is empty"):
        prescreen("")


def test_an_unknown_study_is_refused_listing_the_known_ones():
    with pytest.raises(CommandError) as raised:
        prescreen(csv_text([candidate()]), study="ICRG9999")
    assert str(raised.value) == (
        "unknown study 'ICRG9999'; known studies: " + ", ".join(
            sorted(p.code for p in all_protocols()))
    )


def test_palmares2_candidates_are_prescreened_with_its_criteria():
    fields = list(PALMARES_ELIGIBLE)
    out, err = prescreen(csv_text([
        palmares_candidate(),
        palmares_candidate(candidate_id="P002", er_percent="0", pgr_percent="0",
                           data_cutoff_date="2023-10-01"),
        palmares_candidate(candidate_id="P003", cdk46i=""),
    ], fields), study="PALMARES-2")
    assert out == [HEADER, "P001,ELIGIBLE,,", "P002,NOT_ELIGIBLE,P-EXC01;P-INC01,",
                   "P003,INCOMPLETE,,cdk46i"]
    assert err == ["3 candidates: 1 eligible, 1 not eligible, 1 incomplete, 0 rows with errors"]


def test_reads_a_utf8_file_with_a_bom_and_writes_the_output_file(tmp_path):
    source, target = tmp_path / "candidates.csv", tmp_path / "results.csv"
    source.write_bytes(
        "\ufeff".encode() + csv_text([candidate(candidate_id="Çağla-1")]).encode()
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("prescreen", str(source), "--study", "ICRG0201", "--output", str(target),
                 stdout=out, stderr=err)
    assert target.read_text(encoding="utf-8") == f"{HEADER}\nÇağla-1,ELIGIBLE,,\n"
    assert out.getvalue() == ""
    assert err.getvalue().startswith("1 candidate: 1 eligible")


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    source = tmp_path / "latin1.csv"
    source.write_bytes(csv_text([candidate(candidate_id="Ménard")]).encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("prescreen", str(source), "--study", "ICRG0201", stdout=io.StringIO())


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("prescreen", str(tmp_path / "nope.csv"), "--study", "ICRG0201")


def test_writes_nothing_to_the_database(world, django_assert_num_queries):
    models = apps.get_models()
    before = {model: model._default_manager.count() for model in models}
    text = csv_text([candidate(), candidate(candidate_id="C002", sex="M"),
                     candidate(candidate_id="C003", who_ps="x")])
    with django_assert_num_queries(0):
        out, _ = prescreen(text)
    assert len(out) == 4
    assert {model: model._default_manager.count() for model in models} == before


def test_runs_from_the_shell_reading_stdin_with_a_bom_and_exits_0():
    # --skip-checks: this is about stdin and the exit status; the system checks have their tests.
    text = "\ufeff" + csv_text([candidate(), candidate(candidate_id="C002", ast="x")])
    done = subprocess.run(
        [sys.executable, "manage.py", "prescreen", "--skip-checks", "--study", "ICRG0201",
         "-"],
        input=text.encode(), capture_output=True, cwd=settings.BASE_DIR, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines() == [HEADER, "C001,ELIGIBLE,,", "C002,INCOMPLETE,,ast"]
    assert "error: row 3 (candidate C002), column ast: 'x' is not a number" in done.stderr.decode()


def test_the_guide_lists_every_variable_of_both_studies():
    guide = (Path(settings.BASE_DIR) / "docs" / "prescreening.md").read_text(encoding="utf-8")
    for protocol in all_protocols():
        for variable in protocol.eligibility_variables:
            assert f"`{variable.name}`" in guide, (protocol.code, variable.name)


def test_the_guide_example_is_what_the_command_prints():
    guide = (Path(settings.BASE_DIR) / "docs" / "prescreening.md").read_text(encoding="utf-8")
    example = guide.split("`referrals.csv` (PALMARES-2):", 1)[1]
    blocks = [part.split("```", 1)[0] for part in example.split("```csv\n")[1:3]]
    text_block = example.split("```text\n", 1)[1].split("```", 1)[0]
    out, err = prescreen(blocks[0], study="PALMARES-2")
    assert out == blocks[1].splitlines()
    assert err == text_block.splitlines()
