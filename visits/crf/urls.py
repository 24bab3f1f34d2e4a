"""Visit page and visit forms: /patients/<subject id>/visits/<visit code>/[<form code>/...].

Visit codes are upper case (SCR, BL, M3, FU2, UNS1) and form codes lower case with underscores,
so these patterns never capture another page under /patients/<subject id>/visits/ that is named
in lower case (a timeline or calendar, for instance).
"""

from django.urls import path, register_converter

from visits.crf import views


class VisitCodeConverter:
    regex = "[A-Z][A-Z0-9]*"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class FormCodeConverter:
    regex = "[a-z][a-z_]*"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(VisitCodeConverter, "visit_code")
register_converter(FormCodeConverter, "form_code")

_VISIT = "patients/<str:subject_id>/visits/<visit_code:code>/"
_FORM = _VISIT + "<form_code:form_code>/"

urlpatterns = [
    path(_VISIT, views.visit_detail, name="visit-detail"),
    path(_VISIT + "missed/", views.visit_missed, name="visit-missed"),
    path(_FORM, views.visit_form, name="visit-form"),
    path(_FORM + "none/", views.visit_form_none, name="visit-form-none"),
    path(_FORM + "<int:pk>/", views.visit_form_item, name="visit-form-item"),
    path(_FORM + "<int:pk>/void/", views.visit_form_item_void, name="visit-form-item-void"),
]
