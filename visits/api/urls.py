from django.urls import path

from visits.api.views import StudyScheduleView

urlpatterns = [
    path("studies/<str:code>/schedule", StudyScheduleView.as_view(), name="study-schedule"),
]
