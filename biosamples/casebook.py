"""The casebook's samples panel: every expected sample of the patient, visit by visit."""

from biosamples import selectors
from enrollment.casebook import CasebookPanel, register
from trialsite import access


def _samples(patient, user):
    if patient.site.study.protocol.sample_plan is None or not hasattr(patient, "enrolment"):
        return None  # a study that collects no samples, or no schedule yet
    return {"rows": selectors.patient_samples(patient),
            "can_edit": access.can_enter_data(user, patient.site)}


def register_panels():
    register(CasebookPanel(key="samples", title="Liquid-biopsy samples",
                           template="biosamples/_casebook_panel.html", order=25,
                           context=_samples))
