"""The visits of an imported subject: the schedule the enrolment would create, and the visit a
record is reported at when the file leaves ``visit_code`` empty."""

from __future__ import annotations

from visits.domain.schedule import horizon, is_retrospective, plan
from visits.models import Visit


def schedule(context, subject):
    """The visits the enrolment service would create today (``schedule_create``)."""
    declared = context.protocol.schedule
    visits = []
    for planned in plan(declared, subject.day1, horizon(declared, context.today)):
        screened = not declared.retrospective_entry and planned.window_end < subject.day1
        visit = Visit(
            code=planned.code, label=planned.label, kind=planned.kind,
            target_date=planned.target_date, window_start=planned.window_start,
            window_end=planned.window_end,
            retrospective=is_retrospective(declared, planned, context.today),
            forms=list(planned.forms), required_forms=list(planned.required_forms),
            samples=list(planned.samples), assessments=list(planned.assessments),
        )
        if screened:
            visit.status = Visit.Status.COMPLETED
            visit.status_reason = "Done as the eligibility screening"
        visits.append(visit)
    return visits


def visit_for(row, subject, code, form_code, when):
    """The visit ``row``'s record is reported at: ``code`` if given, else the visit collecting
    ``form_code`` whose target date is nearest ``when`` (and not after a death); None, with a
    problem at ``visit_code``, when there is none."""
    death = subject.death[0] if subject.death else None
    candidates = [v for v in subject.visits if form_code in v.forms]
    if code:
        visit = next((v for v in subject.visits if v.code == code), None)
        if visit is None:
            row.problem("visit_code", f"{subject.subject_id} has no visit {code} (the "
                                      "schedule from day 1).")
        elif form_code not in visit.forms:
            row.problem("visit_code", f"Visit {code} does not collect "
                                      f"{form_code.replace('_', ' ')}.")
            visit = None
        return visit
    # After a death, a visit whose window opened later is cancelled unless it holds data;
    # a record of a patient who died before any such window goes to the first one, as
    # when it was entered before the death was recorded.
    usable = [v for v in candidates if death is None or v.window_start <= death]
    usable = usable or candidates[:1]
    if not usable:
        row.problem("visit_code", "No visit of the schedule collects this: give visit_code.")
        return None
    return min(usable, key=lambda v: (abs((v.target_date - when).days), v.target_date))
