"""toxicities.csv: adverse events (the adverse event model's rules), within the patient's
follow-up, on a visit collecting them."""

from __future__ import annotations

from outcomes.realworld.importer.files.follow_ups import FOLLOW_UPS
from outcomes.realworld.importer.schedule import visit_for
from outcomes.realworld.importer.schema import (
    FileSchema,
    boolean,
    choice,
    date,
    no_problem_yet,
    text,
)
from visits.crf.models import AdverseEvent, Relation

TOXICITIES = "toxicities.csv"


SAE_COLUMNS = tuple(f.name for f in AdverseEvent._meta.fields if f.name.startswith("sae_"))
RELATIONS = ("relation_cdk46i", "relation_endocrine", "relation_ovarian_suppression")


def adverse_event(row):
    cells = row.cells
    return AdverseEvent(term=cells["term"], grade=cells["grade"], start_date=cells["start_date"],
                        end_date=cells["end_date"], serious=cells["serious"],
                        **{name: cells[name] for name in SAE_COLUMNS},
                        **{name: cells[name] or "" for name in RELATIONS},
                        action_taken=cells["action_taken"], outcome=cells["outcome"])


def ovarian_suppression_relation(row, subject):
    """The relation to ovarian suppression is given exactly when the enrolment has it."""
    related = row.record.relation_ovarian_suppression
    if subject.ovarian_suppression is False and related:
        row.problem("relation_ovarian_suppression", "The patient has no ovarian suppression.")
    elif subject.ovarian_suppression and not related:
        row.problem("relation_ovarian_suppression", "Give the relation to ovarian suppression.")


def within_the_patients_follow_up(row, subject):
    """Not after the death, not before day 1."""
    start = row.record.start_date
    if subject.death and start > subject.death[0]:
        row.problem("start_date", f"{start:%Y-%m-%d} is after the death "
                                  f"({subject.death[0]:%Y-%m-%d}).")
    if start < subject.day1:
        row.problem("start_date", f"{start:%Y-%m-%d} is before day 1 "
                                  f"({subject.day1:%Y-%m-%d}).")


def at_its_visit(row, subject):
    """The visit collecting adverse events it is reported at (given, or the nearest)."""
    visit = visit_for(row, subject, row.cells["visit_code"], AdverseEvent.FORM_CODE,
                      row.record.start_date)
    if visit is None:
        return False
    row.record.visit = visit
    return True


TOXICITIES_FILE = FileSchema(
    TOXICITIES, after=(FOLLOW_UPS,),
    columns=(
        text("visit_code"),
        text("term", in_header=True),
        choice("grade", {str(g): g for g in range(1, 6)}, required=True,
               invalid=lambda value, context: f"{value!r} is not a CTCAE grade (1 to 5)."),
        date("start_date", required=True),
        date("end_date"),
        *(boolean(name) for name in SAE_COLUMNS),
        boolean("serious", default=None, in_header=True),
        choice("relation_cdk46i", set(Relation.values), required=True),
        choice("relation_endocrine", set(Relation.values), required=True),
        choice("relation_ovarian_suppression", set(Relation.values)),
        choice("action_taken", set(AdverseEvent.Action.values), required=True),
        choice("outcome", set(AdverseEvent.Outcome.values), required=True),
    ),
    record=adverse_event,
    steps=(ovarian_suppression_relation, within_the_patients_follow_up, no_problem_yet,
           at_its_visit),
    model=AdverseEvent, saving="adverse events",
)
