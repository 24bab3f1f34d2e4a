from django.urls import path

from enrollment import views

urlpatterns = [
    path("sites/", views.site_list, name="site-list"),
    path("studies/<str:code>/", views.study_overview, name="study-overview"),
    path("patients/", views.patient_list, name="patient-list"),
    path("patients/register/", views.patient_register, name="patient-register"),
    path("patients/<str:subject_id>/", views.patient_detail, name="patient-detail"),
    path("patients/<str:subject_id>/edit/", views.patient_edit, name="patient-edit"),
    path("patients/<str:subject_id>/status/", views.patient_status, name="patient-status"),
    path("patients/<str:subject_id>/void/", views.patient_void, name="patient-void"),
]
