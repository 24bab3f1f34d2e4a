from rest_framework import viewsets

from trialsite import access
from trialsite.api.serializers import SiteSerializer, StudySerializer


class StudyViewSet(viewsets.ReadOnlyModelViewSet):
    """Studies the user takes part in."""

    serializer_class = StudySerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return access.studies_visible_to(self.request.user).order_by("id")


class SiteViewSet(viewsets.ReadOnlyModelViewSet):
    """Sites whose data the user may see."""

    serializer_class = SiteSerializer
    lookup_field = "code"
    filterset_fields = {"study__code": ["exact"]}

    def get_queryset(self):
        return access.sites_visible_to(self.request.user).select_related("study").order_by("id")
