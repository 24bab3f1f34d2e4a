from django.urls import path

from trialsite.archives import api, views

urlpatterns = [
    path("api/v1/exports/archives/", api.ArchiveListView.as_view(), name="export-archives"),
    path("api/v1/exports/archives/<int:pk>/", api.ArchiveDetailView.as_view(),
         name="export-archive"),
    path("api/v1/exports/archives/<int:pk>/download/", api.ArchiveDownloadView.as_view(),
         name="export-archive-download"),
    path("exports/archives/", views.site_archives, name="site-archives"),
    path("exports/casebooks/<str:subject_id>.pdf", views.casebook_pdf, name="casebook-pdf"),
]
