"""Pages of the real-world data; mounted by ``outcomes/urls.py`` (paths unchanged)."""

from django.urls import path

from outcomes.realworld import import_views, views

urlpatterns = [
    path("patients/<str:subject_id>/real-world/", views.real_world, name="real-world"),
    path("patients/<str:subject_id>/lines/<int:number>/", views.treatment_line,
         name="treatment-line"),
    path("studies/<str:code>/collected-items/", views.missing_items,
         name="missing-items"),
    path("studies/<str:code>/import/", import_views.import_start, name="rwd-import"),
    path("studies/<str:code>/import/<int:job_id>/", import_views.import_job,
         name="rwd-import-job"),
    path("studies/<str:code>/import/<int:job_id>/status/", import_views.import_status,
         name="rwd-import-status"),
]
