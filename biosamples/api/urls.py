from django.urls import path
from rest_framework.routers import SimpleRouter

from biosamples.api.views import AliquotViewSet, ResultsUploadView, SampleViewSet, ShipmentViewSet

router = SimpleRouter()
router.register("samples", SampleViewSet, basename="sample-api")
router.register("aliquots", AliquotViewSet, basename="aliquot-api")
router.register("shipments", ShipmentViewSet, basename="shipment-api")

urlpatterns = [
    path("results/", ResultsUploadView.as_view(), name="results-api-upload"),
    *router.urls,
]
