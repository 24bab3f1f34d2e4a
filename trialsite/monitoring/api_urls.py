from rest_framework.routers import SimpleRouter

from trialsite.monitoring.api import QueryViewSet

router = SimpleRouter()
router.register("queries", QueryViewSet, basename="query-api")

urlpatterns = router.urls
