"""Rules of a patient's lines of therapy, without a database."""

from datetime import date

import pytest

from outcomes.realworld.domain.lines import Context, Line, check_lines

CLASSES = {"PALBOCICLIB": "CDK4/6 inhibitor", "LETROZOLE": "aromatase inhibitor",
           "FULVESTRANT": "selective oestrogen receptor degrader",
           "CAPECITABINE": "chemotherapy", "EVEROLIMUS": "targeted therapy",
           "EXEMESTANE": "aromatase inhibitor"}
FIRST = (("CDK4/6 inhibitor",), ("aromatase inhibitor", "selective oestrogen receptor degrader"))
DAY1 = date(2024, 3, 1)


def ctx(**kw):
    return Context(drug_classes=CLASSES, first_line_classes=FIRST, day1=DAY1, **kw)


def line1(**kw):
    values = {"number": 1, "drugs": ("PALBOCICLIB", "LETROZOLE"), "start": DAY1,
              "stop": date(2025, 1, 10), "stop_reason": "progression"}
    values.update(kw)
    return Line(**values)


def line2(**kw):
    values = {"number": 2, "drugs": ("EVEROLIMUS", "EXEMESTANE"), "start": date(2025, 1, 10)}
    values.update(kw)
    return Line(**values)


def fields(problems):
    return [(p.line, p.field) for p in problems]


def test_two_consecutive_lines_keep_every_rule():
    assert check_lines([line2(), line1()], ctx()) == []


@pytest.mark.parametrize("drugs, missing", [
    (("LETROZOLE",), "CDK4/6 inhibitor"),
    (("PALBOCICLIB",), "aromatase inhibitor or selective oestrogen receptor degrader"),
    (("CAPECITABINE",), "CDK4/6 inhibitor"),
])
def test_line_1_is_a_cdk46_inhibitor_with_endocrine_therapy(drugs, missing):
    problems = check_lines([line1(drugs=drugs)], ctx())
    assert any(p.field == "drugs" and missing in p.message for p in problems)


def test_line_1_starts_on_day_1():
    problems = check_lines([line1(start=date(2024, 3, 2))], ctx())
    assert fields(problems) == [(1, "start_date")]


def test_fulvestrant_counts_as_the_endocrine_partner():
    assert check_lines([line1(drugs=("PALBOCICLIB", "FULVESTRANT"))], ctx()) == []


def test_lines_cannot_overlap_and_a_line_followed_by_another_has_ended():
    problems = check_lines([line1(), line2(start=date(2025, 1, 9))], ctx())
    assert fields(problems) == [(2, "start_date")]
    assert "cannot overlap" in problems[0].message
    problems = check_lines([line1(stop=None, stop_reason=""), line2()], ctx())
    assert fields(problems) == [(1, "stop_date")]


def test_a_line_may_start_the_day_the_previous_one_stopped():
    assert check_lines([line1(), line2(start=date(2025, 1, 10))], ctx()) == []


def test_numbering_has_no_gaps():
    problems = check_lines([line1(), line2(number=3)], ctx())
    assert fields(problems) == [(3, "number")]


def test_stop_needs_a_reason_and_comes_after_start():
    assert fields(check_lines([line1(stop_reason="")], ctx())) == [(1, "stop_reason")]
    assert (1, "stop_date") in fields(check_lines([line1(stop=date(2024, 2, 1))], ctx()))
    assert fields(check_lines([line1(stop=None)], ctx())) == [(1, "stop_date")]


def test_dates_are_checked_against_death_and_last_contact():
    death = date(2025, 6, 1)
    problems = check_lines([line1(), line2(stop=date(2025, 6, 2), stop_reason="death")],
                           ctx(death_date=death))
    assert fields(problems) == [(2, "stop_date")]
    assert "after the death" in problems[0].message
    assert check_lines([line1(), line2(stop=death, stop_reason="death")],
                       ctx(death_date=death, last_contact=date(2025, 5, 1))) == []
    problems = check_lines([line1(), line2(start=date(2025, 3, 1))],
                           ctx(last_contact=date(2025, 2, 1)))
    assert fields(problems) == [(2, "start_date")]
    assert "after the last contact" in problems[0].message


def test_stopping_at_death_needs_a_recorded_death():
    problems = check_lines([line1(stop_reason="death")], ctx())
    assert fields(problems) == [(1, "stop_reason")]


def test_unknown_drug_and_empty_regimen():
    assert fields(check_lines([line1(), line2(drugs=("NOPE",))], ctx())) == [(2, "drugs")]
    assert fields(check_lines([line1(), line2(drugs=())], ctx())) == [(2, "drugs")]
    assert check_lines([line1(), line2(drugs=(), other_regimen="trial drug XY-1")],
                       ctx()) == []
