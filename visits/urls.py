from django.urls import include, path

from visits import views

urlpatterns = [
    path("patients/<str:subject_id>/enrol/", views.enrol, name="enrol"),
    path("patients/<str:subject_id>/withdraw/", views.patient_withdraw, name="patient-withdraw"),
    path("patients/<str:subject_id>/redate/", views.enrolment_redate, name="enrolment-redate"),
    path("patients/<str:subject_id>/progression/", views.progression_record,
         name="progression-record"),
    path("patients/<str:subject_id>/death/", views.death_record, name="death-record"),
    path("sites/<str:code>/calendar/", views.site_calendar, name="site-calendar"),
    path("", include("visits.crf.urls")),
]
