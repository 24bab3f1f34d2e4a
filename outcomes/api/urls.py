from django.urls import path

from outcomes.api.views import EndpointsView, RecistEvaluateView

urlpatterns = [
    path("recist/evaluate", RecistEvaluateView.as_view(), name="recist-evaluate"),
    path("endpoints/", EndpointsView.as_view(), name="endpoints-list"),
]
