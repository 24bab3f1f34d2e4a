from enrollment.casebook import CasebookPanel, register
from outcomes import selectors
from outcomes.realworld import selectors as rwd_selectors
from trialsite import access


def _tumour_assessments(patient, user):
    return {"working": selectors.working(patient),
            "can_edit": access.can_enter_data(user, patient.site)}


def _real_world(patient, user):
    data = rwd_selectors.real_world(patient)
    if data is None:
        return None
    return {"rwd": data, "can_edit": access.can_enter_data(user, patient.site)}


def register_panels():
    register(CasebookPanel(key="tumour_assessments", title="Tumour assessments",
                           template="outcomes/_panel.html", order=30,
                           context=_tumour_assessments))
    register(CasebookPanel(key="real_world", title="Lines of therapy and sub-studies",
                           template="outcomes/realworld/_real_world_panel.html", order=35,
                           context=_real_world))
