from django.urls import path

from outcomes import rwd_import_views, rwd_views, views

urlpatterns = [
    path("patients/<str:subject_id>/tumour-baseline/", views.tumour_baseline,
         name="tumour-baseline"),
    path("patients/<str:subject_id>/visits/<str:code>/tumour-assessment/",
         views.tumour_assessment, name="tumour-assessment"),
    path("studies/<str:code>/outcomes/", views.study_outcomes, name="study-outcomes"),
    path("patients/<str:subject_id>/real-world/", rwd_views.real_world, name="real-world"),
    path("patients/<str:subject_id>/lines/<int:number>/", rwd_views.treatment_line,
         name="treatment-line"),
    path("studies/<str:code>/collected-items/", rwd_views.missing_items,
         name="missing-items"),
    path("studies/<str:code>/import/", rwd_import_views.import_start, name="rwd-import"),
    path("studies/<str:code>/import/<int:job_id>/", rwd_import_views.import_job,
         name="rwd-import-job"),
    path("studies/<str:code>/import/<int:job_id>/status/", rwd_import_views.import_status,
         name="rwd-import-status"),
]
