from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from enrollment.api.views import PatientViewSet
from trialsite import views
from trialsite.api.views import SiteViewSet, StudyViewSet
from trialsite.health import ServicesHealthView, WorkersHealthView

router = DefaultRouter()
router.register("studies", StudyViewSet, basename="study-api")
router.register("sites", SiteViewSet, basename="site-api")
router.register("patients", PatientViewSet, basename="patient-api")

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", ServicesHealthView.as_view(), name="health"),
    path("health/workers/", WorkersHealthView.as_view(), name="health-workers"),
    path("password/", views.PasswordChange.as_view(), name="password-change"),
    path("", include("enrollment.urls")),
    path("", include("eligibility.urls")),
    path("", include("visits.urls")),
    path("", include("biosamples.urls")),
    path("", include("outcomes.urls")),
    path("", include("trialsite.monitoring.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
         name="api-docs"),
    path("api/v1/", include("eligibility.api.urls")),
    path("api/v1/", include("visits.api.urls")),
    path("api/v1/", include("biosamples.api.urls")),
    path("api/v1/", include("outcomes.api.urls")),
    path("api/v1/", include("trialsite.monitoring.api_urls")),
    path("", include("trialsite.exports.urls")),
    path("", include("trialsite.archives.urls")),
    path("api/v1/", include(router.urls)),
    path("admin/", admin.site.urls),
]
