from django.urls import path

from eligibility import views

urlpatterns = [
    path("patients/<str:subject_id>/screening/", views.screening_page, name="screening"),
    path("patients/<str:subject_id>/screening/evaluate/", views.screening_evaluate,
         name="screening-evaluate"),
    path("patients/<str:subject_id>/screening/confirm/", views.screening_confirm,
         name="screening-confirm"),
    path("patients/<str:subject_id>/screening/fail/", views.screening_fail,
         name="screening-fail"),
    path("sites/<str:code>/screen-failures/", views.screen_failures, name="screen-failures"),
]
