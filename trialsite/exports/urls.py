from django.urls import path, re_path

from trialsite.exports import api, views

urlpatterns = [
    path("exports/", views.exports_page, name="exports"),
    path("api-access/", views.api_access, name="api-access"),
    path("api-access/<int:pk>/revoke/", views.token_revoke, name="api-token-revoke"),
    path("api/v1/exports/", api.ExportListView.as_view(), name="export-list"),
    path("api/v1/exports/dictionary.csv", api.DictionaryView.as_view(), name="export-dictionary"),
    path("api/v1/exports/odm.xml", api.OdmView.as_view(), name="export-odm"),
    path("api/v1/exports/packages/", api.PackageListView.as_view(), name="export-packages"),
    path("api/v1/exports/files/", api.StatFileView.as_view(), name="export-files"),
    path("exports/files/", views.stat_file_request, name="export-file-request"),
    path("api/v1/exports/packages/<int:pk>/", api.PackageDetailView.as_view(),
         name="export-package"),
    path("api/v1/exports/packages/<int:pk>/download/", api.PackageDownloadView.as_view(),
         name="export-package-download"),
    re_path(r"^api/v1/exports/(?P<dataset>[a-z0-9_]+)\.(?P<fmt>csv|ndjson)$",
            api.DatasetExportView.as_view(), name="export-dataset"),
]
