from eligibility import selectors, services
from enrollment.casebook import CasebookPanel, register
from trialsite import access


def _panel(patient, user):
    screening = selectors.screening_of(patient)
    return {
        "screening": screening,
        "refusal": services.enrolment_refusal(screening) if screening else None,
        "can_edit": access.can_enter_data(user, patient.site),
    }


def register_panels():
    register(CasebookPanel(key="eligibility", title="Eligibility screening",
                           template="eligibility/_panel.html", order=10, context=_panel))
