"""Lines of therapy for advanced disease: the rules a patient's lines must keep (pure code).

A line is numbered from 1, has a regimen (drug codes), a start date and, once it ended, a stop
date and the reason. ``check_lines`` returns every problem of a patient's lines at once, each
naming the line and the field it is about, so a page or an import can put it where it belongs.
"""

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Line:
    number: int
    drugs: tuple[str, ...]
    start: date
    stop: date | None = None
    stop_reason: str = ""
    other_regimen: str = ""


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str


@dataclass(frozen=True)
class Context:
    """What the lines are checked against."""

    #: drug code -> drug class (as text) for every drug a regimen may name.
    drug_classes: dict
    #: Line 1 must hold one drug of each of these groups of classes.
    first_line_classes: tuple = ()
    #: Day 1 of the study: line 1 starts on it (the CDK4/6 inhibitor start).
    day1: date | None = None
    death_date: date | None = None
    last_contact: date | None = None
    names: dict = field(default_factory=dict)


def check_lines(lines, context):
    """Every problem of ``lines`` (any order), as ``Problem``s sorted by line."""
    problems = []
    lines = sorted(lines, key=lambda line: line.number)
    numbers = [line.number for line in lines]
    for expected, line in enumerate(lines, 1):
        if line.number != expected:
            problems.append(Problem(line.number, "number",
                                    f"Lines are numbered 1, 2, 3…: expected line {expected} "
                                    f"here, not {line.number}."))
            break
    for line in lines:
        problems.extend(_check_one(line, context))
    for earlier, later in zip(lines, lines[1:], strict=False):
        if earlier.stop is None:
            problems.append(Problem(earlier.number, "stop_date",
                                    f"Line {earlier.number} has no stop date, but line "
                                    f"{later.number} follows it."))
        elif later.start < earlier.stop:
            problems.append(Problem(later.number, "start_date",
                                    f"Line {later.number} starts on {later.start:%Y-%m-%d}, "
                                    f"before line {earlier.number} stopped "
                                    f"({earlier.stop:%Y-%m-%d}): lines cannot overlap."))
    if len(set(numbers)) != len(numbers):
        duplicate = next(n for n in numbers if numbers.count(n) > 1)
        problems.append(Problem(duplicate, "number", f"Line {duplicate} is given twice."))
    return sorted(problems, key=lambda p: (p.line, p.field))


def _check_one(line, context):
    problems = []
    n = line.number
    if not line.drugs and not line.other_regimen.strip():
        problems.append(Problem(n, "drugs", "Name at least one drug of the regimen."))
    unknown = [code for code in line.drugs if code not in context.drug_classes]
    if unknown:
        problems.append(Problem(n, "drugs", f"Unknown drug code {unknown[0]!r}."))
    if n == 1 and context.first_line_classes:
        classes = {context.drug_classes.get(code) for code in line.drugs}
        for group in context.first_line_classes:
            if not classes & {str(c) for c in group}:
                words = " or ".join(str(c) for c in group)
                article = "an" if words[0] in "aeiou" else "a"
                problems.append(Problem(n, "drugs", f"Line 1 must include {article} {words}."))
    if n == 1 and context.day1 is not None and line.start != context.day1:
        problems.append(Problem(n, "start_date",
                                f"Line 1 starts on day 1 of the study, the CDK4/6 inhibitor "
                                f"start ({context.day1:%Y-%m-%d})."))
    if line.stop is not None:
        if line.stop < line.start:
            problems.append(Problem(n, "stop_date", "The stop date is before the start date."))
        if not line.stop_reason:
            problems.append(Problem(n, "stop_reason", "Say why the line stopped."))
    elif line.stop_reason:
        problems.append(Problem(n, "stop_date", "A line with a reason for stopping needs its "
                                                "stop date."))
    if line.stop_reason == "death" and context.death_date is None:
        problems.append(Problem(n, "stop_reason", "The line stopped at death, but no death is "
                                                  "recorded: record the death first."))
    if context.death_date is not None:
        for name, when in (("start_date", line.start), ("stop_date", line.stop)):
            if when is not None and when > context.death_date:
                problems.append(Problem(n, name, f"{when:%Y-%m-%d} is after the death "
                                                 f"({context.death_date:%Y-%m-%d})."))
    if context.last_contact is not None and context.death_date is None:
        # After a death, the death is the last thing known; before, the last contact is.
        for name, when in (("start_date", line.start), ("stop_date", line.stop)):
            if when is not None and when > context.last_contact:
                problems.append(Problem(n, name, f"{when:%Y-%m-%d} is after the last contact "
                                                 f"({context.last_contact:%Y-%m-%d}): record "
                                                 "the follow-up contact first."))
    return problems
