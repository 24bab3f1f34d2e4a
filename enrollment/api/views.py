import django_filters
from rest_framework import viewsets

from enrollment.api.serializers import PatientSerializer
from enrollment.models import Patient
from trialsite.api.filters import UpdatedSinceFilterSet


class PatientFilterSet(UpdatedSinceFilterSet):
    site = django_filters.CharFilter(field_name="site__code", help_text="Site code")
    study = django_filters.CharFilter(field_name="site__study__code", help_text="Study code")
    status = django_filters.ChoiceFilter(choices=Patient.Status.choices)

    class Meta:
        model = Patient
        fields = ["site", "study", "status", "updated_since"]


class PatientViewSet(viewsets.ReadOnlyModelViewSet):
    """Patients the caller may see, voided ones included (flagged) for incremental pulls."""

    serializer_class = PatientSerializer
    lookup_field = "subject_id"
    filterset_class = PatientFilterSet

    def get_queryset(self):
        return Patient.objects.visible_to(self.request.user).select_related("site", "site__study")
