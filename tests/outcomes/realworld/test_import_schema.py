"""The import's declarative vocabulary: each column type reads its cells or says what is wrong,
the shared cross-row rules, the order files are checked in, and a file added to the import by
its declaration alone (checked and saved without touching the loop)."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from bench.rwd_dataset import generate
from outcomes.models import Comorbidity
from outcomes.realworld.importer import FILES, SCHEMAS, check, persist, read_file
from outcomes.realworld.importer.check import check_order
from outcomes.realworld.importer.schema import (
    BadCell,
    FileSchema,
    boolean,
    choice,
    decimal,
    integer,
    once_per_subject,
    other_needs_details,
    text,
    variable,
)
from outcomes.realworld.importer.schema import (
    date as date_column,
)
from tests.factories import SiteFactory, UserFactory, grant
from trialsite.models import Role
from trialsite.protocols.palmares2 import PROTOCOL

TODAY = date(2026, 6, 15)
CONTEXT = SimpleNamespace(today=TODAY, study=SimpleNamespace(code="PALMARES-2"),
                          protocol=PROTOCOL)


def read(column, raw):
    return column.read(raw, column.allowed(CONTEXT), CONTEXT)


def refusal(column, raw):
    with pytest.raises(BadCell) as excinfo:
        read(column, raw)
    return excinfo.value.message


def test_required_cell_of_any_type_is_reported_empty():
    for column in (text("a", required=True), date_column("a", required=True),
                   choice("a", {"X"}, required=True), decimal("a", required=True),
                   integer("a", 1, 9, required=True), boolean("a", required=True)):
        assert refusal(column, "") == "Required: the cell is empty."
    custom = boolean("consent", default=None, required=True, missing="Say 1 or 0.")
    assert refusal(custom, "") == "Say 1 or 0."


def test_empty_optional_cells_read_as_nothing():
    assert read(text("a"), "") == "" and read(choice("a", {"X"}), "") == ""
    assert read(date_column("a"), "") is None and read(decimal("a"), "") is None
    assert read(boolean("a"), "") is False and read(boolean("a", default=None), "") is None


def test_text_is_kept_as_given():
    assert read(text("storage_reference", required=True), "Freezer 2, box 7") == (
        "Freezer 2, box 7")


def test_date_must_be_iso_and_not_in_the_future():
    column = date_column("collected_on")
    assert read(column, "2026-06-15") == TODAY
    assert refusal(column, "2026-02-30") == "'2026-02-30' is not a date (expected YYYY-MM-DD)."
    assert refusal(column, "20260101") == "'20260101' is not a date (expected YYYY-MM-DD)."
    assert refusal(column, "15/06/2026") == "'15/06/2026' is not a date (expected YYYY-MM-DD)."
    assert refusal(column, "2026-06-16") == "2026-06-16 is in the future."


def test_boolean_reads_yes_and_no_and_nothing_else():
    column = boolean("serious", default=None)
    assert [read(column, raw) for raw in ("1", "Y", "yes", "TRUE")] == [True] * 4
    assert [read(column, raw) for raw in ("0", "n", "No", "false")] == [False] * 4
    assert refusal(column, "maybe") == "'maybe' is not yes/no (1 or 0)."


def test_choice_takes_a_code_of_its_list():
    column = choice("vital_status", {"alive", "dead", "unknown"}, required=True)
    assert read(column, "dead") == "dead"
    assert refusal(column, "zombie") == "'zombie' is not one of alive, dead, unknown."
    assert refusal(column, "Dead") == "'Dead' is not one of alive, dead, unknown."


def test_choice_list_from_the_protocol_with_its_own_message_and_values():
    sites = choice("site", lambda context: {"ITMI1": "Milan"},
                   invalid=lambda value, context: f"{value!r} is not a site of "
                                                  f"{context.study.code}.")
    assert read(sites, "ITMI1") == "Milan"  # a mapping gives the value a code stands for
    assert refusal(sites, "NOPE") == "'NOPE' is not a site of PALMARES-2."
    grade = choice("grade", {str(g): g for g in range(1, 6)},
                   invalid=lambda value, context: f"{value!r} is not a CTCAE grade (1 to 5).")
    assert read(grade, "3") == 3
    assert refusal(grade, "05") == "'05' is not a CTCAE grade (1 to 5)."


def test_decimal_is_read_exactly():
    column = decimal("cdk46i_start_dose_mg", required=True)
    assert read(column, "2.5") == Decimal("2.5")
    assert refusal(column, "125 mg") == "'125 mg' is not a number."


def test_integer_is_a_whole_number_in_its_range():
    column = integer("line_number", 1, 99)
    assert read(column, "1") == 1 and read(column, "01") == 1
    for raw in ("0", "100", "1.5", "-1", "two"):
        assert refusal(column, raw) == f"{raw!r} is not a whole number from 1 to 99."
    worded = integer("line_number", 1, 99, invalid=lambda value, context: f"{value!r}: no.")
    assert refusal(worded, "0") == "'0': no."


def test_protocol_variable_is_read_by_the_eligibility_parser():
    her2 = variable(PROTOCOL.variable("her2_ihc"))
    assert read(her2, "2+") == "2+" and read(her2, "") is None
    assert refusal(her2, "4+") == "unknown code '4+' (expected one of 0, 1+, 2+, 3+)"
    er = variable(PROTOCOL.variable("er_percent"))
    assert refusal(er, "150") == "150 % is above the maximum 100 %"


def test_files_are_checked_after_those_their_rules_read():
    order = [schema.name for schema in check_order(SCHEMAS)]
    assert order[0] == "subjects.csv"
    assert order.index("follow_ups.csv") < order.index("treatment_lines.csv")
    assert order.index("follow_ups.csv") < order.index("toxicities.csv")
    first = FileSchema("a.csv", after=("b.csv",))
    second = FileSchema("b.csv", after=("a.csv",))
    with pytest.raises(ValueError, match="Circular"):
        check_order((FileSchema("s.csv", per_subject=False), first, second))


# --- a file declared here, checked and saved by the same loop ----------------------------------

CUT_OFF = date.today() - timedelta(days=30)
CONDITIONS = "baseline_conditions.csv"

#: A file the import does not have: baseline conditions, coded from the protocol's list of
#: comorbidities, each at most once per patient, "other" with its details, dated.
BASELINE_CONDITIONS = FileSchema(
    CONDITIONS, real_world=True,
    columns=(
        choice("condition", lambda context: {c.code for c in
                                             context.protocol.real_world.comorbidities},
               required=True),
        text("details"),
        date_column("noted_on", required=True),
    ),
    row_rules=(other_needs_details("condition", "OTHER", "details", "Which condition?"),),
    record=lambda row: Comorbidity(code=row.cells["condition"], details=row.cells["details"]),
    steps=(once_per_subject("condition", lambda context, code: f"Condition {code}"),),
    model=Comorbidity, saving="baseline conditions",
)


@pytest.fixture
def palmares(world):
    for site in PROTOCOL.sites[:4]:
        SiteFactory(study=world.study_b, code=site.code, time_zone=site.time_zone)
    manager = grant(UserFactory(username="dm-palmares"), Role.DATA_MANAGER,
                    study=world.study_b)
    return world.study_b, manager


@pytest.fixture
def sources(tmp_path):
    """A generated valid set of 4 patients without its comorbidities file, read."""
    generate(tmp_path, patients=4, seed=11, cut_off=CUT_OFF)
    return {name: read_file(name, (tmp_path / name).read_bytes())
            for name in FILES if name != "comorbidities.csv"}


def conditions_file(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["subject_id", "condition", "details", "noted_on"])
    writer.writerows(rows)
    return read_file(CONDITIONS, out.getvalue().encode())


def subject_ids(sources):
    return [values["subject_id"] for _, values in sources["subjects.csv"].rows]


def test_a_file_unknown_to_the_import_is_refused(palmares, sources):
    study, _ = palmares
    first = subject_ids(sources)[0]
    files = {**sources, CONDITIONS: conditions_file([[first, "DIABETES", "", "2020-01-01"]])}
    problems, _ = check(study=study, sources=files, today=date.today())
    assert [(p.file, p.row, p.column, p.message) for p in problems] == [
        (CONDITIONS, 0, "", f"Unknown file: the import reads {', '.join(FILES)}.")]


def test_a_declared_file_is_checked_by_the_loop(palmares, sources):
    study, _ = palmares
    first, second = subject_ids(sources)[:2]
    future = (date.today() + timedelta(days=3)).isoformat()
    files = {**sources, CONDITIONS: conditions_file([
        [first, "DIABETES", "", "2020-01-01"],
        [first, "DIABETES", "", "2021-01-01"],      # row 3: twice for the patient
        [first, "OTHER", "", "2020-01-01"],         # row 4: other without details
        [second, "GOUT", "", "2020-01-01"],         # row 5: not a code of the list
        [second, "HYPERTENSION", "", future],       # row 6: in the future
        ["ITMI1-999", "DIABETES", "", "2020-01-01"],  # row 7: no such subject
        [second, "OTHER", "sarcoidosis", "2020-01-01"],
    ])}
    problems, subjects = check(study=study, sources=files,
                               today=date.today(), schemas=(*SCHEMAS, BASELINE_CONDITIONS))
    assert [(p.file, p.row, p.column, p.message) for p in problems] == [
        (CONDITIONS, 3, "condition", f"Condition DIABETES is given twice for {first} (row 2)."),
        (CONDITIONS, 4, "details", "Which condition?"),
        (CONDITIONS, 5, "condition", "'GOUT' is not one of " + ", ".join(sorted(
            c.code for c in PROTOCOL.real_world.comorbidities)) + "."),
        (CONDITIONS, 6, "noted_on", f"{future} is in the future."),
        (CONDITIONS, 7, "subject_id", "ITMI1-999 is not a valid subject of subjects.csv."),
    ]
    kept = [(row.number, row.record.code, row.record.details)
            for row in subjects[second].rows(CONDITIONS)]
    assert kept == [(8, "OTHER", "sarcoidosis")]


def test_a_declared_file_is_saved_with_its_history(palmares, sources):
    study, manager = palmares
    first, second = subject_ids(sources)[:2]
    files = {**sources, CONDITIONS: conditions_file([
        [first, "DIABETES", "", "2020-01-01"],
        [second, "OTHER", "sarcoidosis", "2019-05-01"],
    ])}
    schemas = (*SCHEMAS, BASELINE_CONDITIONS)
    problems, subjects = check(study=study, sources=files, today=date.today(),
                               schemas=schemas)
    assert problems == []
    stages = []
    counts = persist(actor=manager, study=study, sources=files, subjects=subjects,
                     today=date.today(), schemas=schemas,
                     progress=lambda fraction, stage: stages.append(stage))
    assert counts["comorbidity"] == 2 and "baseline conditions" in stages
    saved = Comorbidity.objects.get(patient__subject_id=second)
    assert (saved.code, saved.details) == ("OTHER", "sarcoidosis")
    entry = saved.history.get()
    assert entry.history_user == manager
    assert entry.history_change_reason == (
        f"Imported from {CONDITIONS} sha256:{files[CONDITIONS].sha256}")
