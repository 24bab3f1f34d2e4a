from django.urls import path

from biosamples.spectra import views

urlpatterns = [
    path("lab/studies/<str:code>/spectra/", views.spectra_upload, name="spectra-upload"),
    path("lab/spectra/batches/<int:pk>/", views.spectra_batch, name="spectra-batch"),
    path("studies/<str:code>/fingerprint/", views.fingerprint_runs, name="fingerprint-runs"),
    path("fingerprint/runs/<int:pk>/", views.fingerprint_run, name="fingerprint-run"),
    path("fingerprint/runs/<int:pk>/report.pdf", views.fingerprint_run_pdf,
         name="fingerprint-run-pdf"),
]
