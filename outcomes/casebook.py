from enrollment.casebook import CasebookPanel, register
from outcomes import selectors
from trialsite import access


def _tumour_assessments(patient, user):
    return {"working": selectors.working(patient),
            "can_edit": access.can_enter_data(user, patient.site)}


def register_panels():
    register(CasebookPanel(key="tumour_assessments", title="Tumour assessments",
                           template="outcomes/_panel.html", order=30,
                           context=_tumour_assessments))
