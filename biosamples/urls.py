from django.urls import include, path

from biosamples import views

_VISIT = "patients/<str:subject_id>/visits/<visit_code:code>/samples/"

urlpatterns = [
    path(_VISIT + "labels.pdf", views.visit_sample_labels, name="visit-sample-labels"),
    path(_VISIT + "<form_code:sample_code>/draw/", views.sample_draw, name="sample-draw"),
    path(_VISIT + "<form_code:sample_code>/not-collected/", views.sample_not_collected,
         name="sample-not-collected"),
    path("samples/<int:pk>/", views.sample_process, name="sample-process"),
    path("samples/<int:pk>/custody/", views.sample_custody, name="sample-custody"),
    path("samples/<int:pk>/split/", views.sample_split, name="sample-split"),
    path("samples/<int:pk>/correct/", views.sample_correct, name="sample-correct"),
    path("samples/<int:pk>/discard/", views.aliquot_discard, name="aliquot-discard"),
    path("sites/<str:code>/storage/", views.site_storage, name="site-storage"),
    path("boxes/<int:pk>/", views.box_map, name="box-map"),
    path("boxes/<int:pk>/store/", views.box_store, name="box-store"),
    path("sites/<str:code>/shipments/", views.site_shipments, name="site-shipments"),
    path("shipments/<int:pk>/", views.shipment_detail, name="shipment-detail"),
    path("shipments/<int:pk>/add/", views.shipment_add, name="shipment-add"),
    path("shipments/<int:pk>/remove/", views.shipment_remove, name="shipment-remove"),
    path("shipments/<int:pk>/ship/", views.shipment_ship, name="shipment-ship"),
    path("shipments/<int:pk>/manifest.csv", views.shipment_manifest_csv,
         name="shipment-manifest-csv"),
    path("shipments/<int:pk>/manifest.pdf", views.shipment_manifest_pdf,
         name="shipment-manifest-pdf"),
    path("lab/", views.lab_home, name="lab-home"),
    path("lab/shipments/<int:pk>/receive/", views.shipment_receive, name="shipment-receive"),
    path("lab/studies/<str:code>/results/", views.results_upload, name="lab-results-upload"),
    # The spectra sub-domain: laboratory uploads and the fingerprint analysis.
    path("", include("biosamples.spectra.urls")),
]
