from django.urls import path

from trialsite.monitoring import views

urlpatterns = [
    path("monitoring/", views.monitoring_home, name="monitoring-home"),
    path("monitoring/records/<str:type_id>/<int:pk>/", views.record_review,
         name="record-review"),
    path("monitoring/records/<str:type_id>/<int:pk>/query/", views.query_open,
         name="query-open"),
    path("monitoring/records/<str:type_id>/<int:pk>/sdv/", views.sdv_mark, name="sdv-mark"),
    path("monitoring/queries/", views.query_list, name="query-list"),
    path("monitoring/queries/<int:pk>/", views.query_detail, name="query-detail"),
    path("monitoring/patients/<str:subject_id>/", views.patient_trail, name="patient-trail"),
    path("monitoring/patients/<str:subject_id>/sign/", views.casebook_sign,
         name="casebook-sign"),
    path("monitoring/patients/<str:subject_id>/lock/", views.patient_lock,
         name="patient-lock"),
    path("monitoring/visits/<int:pk>/lock/", views.visit_lock, name="visit-lock"),
    path("monitoring/visits/<int:pk>/sdv/", views.visit_sdv, name="visit-sdv"),
    path("monitoring/locks/<int:pk>/unlock/", views.lock_release, name="lock-release"),
    path("monitoring/sites/<str:code>/lock/", views.site_lock, name="site-lock"),
    path("monitoring/sites/<str:code>/sdv/", views.sdv_worklist, name="sdv-worklist"),
    path("monitoring/studies/<str:code>/trail/", views.study_trail, name="study-trail"),
    path("monitoring/studies/<str:code>/trail.csv", views.study_trail_csv,
         name="study-trail-csv"),
    path("monitoring/studies/<str:code>/dashboard/", views.dashboard,
         name="study-dashboard"),
]
