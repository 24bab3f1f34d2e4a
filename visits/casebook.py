from django.utils import timezone

from enrollment.casebook import CasebookPanel, register
from trialsite import access
from visits import selectors, services
from visits.domain.schedule import window_deviation


def _timeline(patient, user):
    today = timezone.localdate()
    rows = []
    for visit in selectors.patient_visits(patient):
        deviation = window_deviation(visit, visit.actual_date) if visit.actual_date else None
        rows.append({"visit": visit, "status": services.visit_status_on(visit, today),
                     "deviation": deviation})
    return {"visits": rows, "can_edit": access.can_enter_data(user, patient.site),
            "enrolled": hasattr(patient, "enrolment")}


def register_panels():
    register(CasebookPanel(key="visits", title="Visits", template="visits/_timeline.html",
                           order=20, context=_timeline))
