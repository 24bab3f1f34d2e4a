from django.urls import include, path

from outcomes import views

urlpatterns = [
    path("patients/<str:subject_id>/tumour-baseline/", views.tumour_baseline,
         name="tumour-baseline"),
    path("patients/<str:subject_id>/visits/<str:code>/tumour-assessment/",
         views.tumour_assessment, name="tumour-assessment"),
    path("studies/<str:code>/outcomes/", views.study_outcomes, name="study-outcomes"),
    path("", include("outcomes.realworld.urls")),
]
