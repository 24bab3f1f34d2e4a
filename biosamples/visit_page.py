"""The samples card of the visit page: what the protocol expects and what was recorded."""

from biosamples import selectors
from trialsite import access
from visits import visit_page
from visits.crf.services import CLOSED_STATUSES


def _samples(visit, patient, user):
    visit.patient = patient
    return {"rows": selectors.visit_samples(visit),
            "can_edit": (access.can_enter_data(user, patient.site) and not patient.is_voided
                         and visit.status not in CLOSED_STATUSES),
            "patient": patient, "visit": visit}


def register_visit_panels():
    visit_page.register(visit_page.VisitPanel(
        key="samples", title="Samples", template="biosamples/_visit_samples.html", order=10,
        context=_samples))
