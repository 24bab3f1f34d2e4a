from django.urls import re_path

from eligibility.api.views import StudyPrescreenView

urlpatterns: list = [
    # As the issue spells it, without a trailing slash; with one is accepted too.
    re_path(
        r"^studies/(?P<code>[^/]+)/prescreen(?:/)?$", StudyPrescreenView.as_view(),
        name="study-prescreen",
    ),
]
