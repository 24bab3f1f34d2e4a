"""Samples, aliquots and shipments for sponsors, monitors and sites (read), and the central
laboratory's receipt and results upload. Lists filter by site, visit, status, ``updated_since``
and page by cursor, like the patient list."""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from biosamples import selectors, services
from biosamples.domain.lifecycle import ArrivalCondition, Receipt
from biosamples.models import Aliquot, Sample, Shipment, ShipmentItem
from trialsite.access import roles_of
from trialsite.api.filters import UpdatedSinceFilterSet
from trialsite.models import CLINICAL_READ_ROLES


class SampleSerializer(serializers.ModelSerializer):
    study = serializers.CharField(source="site.study.code", read_only=True)
    site = serializers.CharField(source="site.code", read_only=True)
    subject_id = serializers.CharField(source="visit.patient.subject_id", read_only=True)
    visit = serializers.CharField(source="visit.code", read_only=True)
    voided = serializers.BooleanField(source="is_voided", read_only=True)
    deviations = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Sample
        fields = ["id", "study", "site", "subject_id", "visit", "sample_code", "status",
                  "drawn_at", "tube_type", "drawn_by", "not_collected_reason",
                  "centrifuge_started_at", "haemolysis", "frozen_at", "aliquot_count",
                  "aliquot_volume_ml", "draw_to_centrifuge_minutes", "draw_to_freeze_minutes",
                  "deviations", "deviation_text", "voided", "version", "created_at",
                  "updated_at"]
        read_only_fields = fields


class AliquotSerializer(serializers.ModelSerializer):
    """What the central laboratory may see too: label, visit code, collection time."""

    site = serializers.CharField(source="site.code", read_only=True)
    visit = serializers.CharField(source="sample.visit.code", read_only=True)
    sample_code = serializers.CharField(source="sample.sample_code", read_only=True)
    collected_at = serializers.DateTimeField(source="sample.drawn_at", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="label", read_only=True)
    box = serializers.SerializerMethodField()
    position = serializers.CharField(read_only=True)

    class Meta:
        model = Aliquot
        fields = ["id", "label", "parent", "site", "visit", "sample_code", "collected_at",
                  "volume_ml", "status", "freeze_thaw_count", "box", "position", "version",
                  "updated_at"]
        read_only_fields = fields

    def get_box(self, aliquot) -> str:
        return str(aliquot.box) if aliquot.box_id else ""


class ShipmentItemSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="aliquot.label", read_only=True)
    visit = serializers.CharField(source="aliquot.sample.visit.code", read_only=True)
    collected_at = serializers.DateTimeField(source="aliquot.sample.drawn_at", read_only=True)

    class Meta:
        model = ShipmentItem
        fields = ["label", "visit", "collected_at", "receipt"]
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer):
    site = serializers.CharField(source="site.code", read_only=True)
    items = ShipmentItemSerializer(source="live_items", many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = ["id", "reference", "site", "destination_lab", "status", "shipped_at",
                  "courier", "tracking_number", "dry_ice", "received_at", "arrival_condition",
                  "discrepancies", "items", "version", "created_at", "updated_at"]
        read_only_fields = fields


class SampleFilterSet(UpdatedSinceFilterSet):
    site = django_filters.CharFilter(field_name="site__code", help_text="Site code")
    visit = django_filters.CharFilter(field_name="visit__code", help_text="Visit code, e.g. M3")
    status = django_filters.ChoiceFilter(choices=Sample.Status.choices)

    class Meta:
        model = Sample
        fields = ["site", "visit", "status", "updated_since"]


class AliquotFilterSet(UpdatedSinceFilterSet):
    site = django_filters.CharFilter(field_name="site__code", help_text="Site code")
    visit = django_filters.CharFilter(field_name="sample__visit__code", help_text="Visit code")
    status = django_filters.ChoiceFilter(choices=Aliquot.Status.choices)
    label = django_filters.CharFilter(field_name="label")

    class Meta:
        model = Aliquot
        fields = ["site", "visit", "status", "label", "updated_since"]


class ShipmentFilterSet(UpdatedSinceFilterSet):
    site = django_filters.CharFilter(field_name="site__code", help_text="Site code")
    visit = django_filters.CharFilter(method="filter_visit", help_text="Visit code of an aliquot")
    status = django_filters.ChoiceFilter(choices=Shipment.Status.choices)

    class Meta:
        model = Shipment
        fields = ["site", "visit", "status", "updated_since"]

    def filter_visit(self, queryset, name, value):
        return queryset.filter(items__aliquot__sample__visit__code=value,
                               items__voided_at__isnull=True).distinct()


class SampleViewSet(viewsets.ReadOnlyModelViewSet):
    """Samples of the sites the caller may see (clinical roles), voided ones flagged."""

    serializer_class = SampleSerializer
    filterset_class = SampleFilterSet

    def get_queryset(self):
        return Sample.objects.visible_to(self.request.user).select_related(
            "site__study", "visit__patient")


class AliquotViewSet(viewsets.ReadOnlyModelViewSet):
    """Aliquots of the sites the caller may see; the central laboratory sees those sent to it."""

    serializer_class = AliquotSerializer
    filterset_class = AliquotFilterSet

    def get_queryset(self):
        user = self.request.user
        clinical = Aliquot.objects.visible_to(user)
        if roles_of(user) & CLINICAL_READ_ROLES or user.is_superuser:
            queryset = clinical
        else:
            queryset = Aliquot.objects.lab_visible_to(user)
        return queryset.select_related("site", "sample__visit", "parent", "box__rack__freezer")


class ReceiptLineSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=60)
    receipt = serializers.ChoiceField(choices=[r.value for r in Receipt])


class ReceiveSerializer(serializers.Serializer):
    received_at = serializers.DateTimeField()
    arrival_condition = serializers.ChoiceField(choices=[c.value for c in ArrivalCondition])
    receipts = ReceiptLineSerializer(many=True, allow_empty=False, max_length=10000)
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text="The shipment version you loaded")


class ShipmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Shipments of the caller's sites; the central laboratory sees them once shipped."""

    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilterSet

    def get_queryset(self):
        items = ShipmentItem.objects.active().select_related("aliquot__sample__visit")
        return (Shipment.objects.visible_to_any_role(self.request.user).select_related("site")
                .prefetch_related(Prefetch("items", queryset=items, to_attr="live_items")))

    @extend_schema(methods=["GET"], request=None, responses={200: ShipmentSerializer})
    @extend_schema(methods=["POST"], request=ReceiveSerializer,
                   responses={200: ShipmentSerializer})
    @action(detail=True, methods=["get", "post"])
    def receive(self, request, pk=None):
        """The central laboratory's receipt: GET shows what to tick, POST records the
        condition and each aliquot's outcome (received, missing, damaged)."""
        shipment = Shipment.objects.lab_visible_to(request.user).select_related(
            "site__study").filter(pk=pk if str(pk).isdigit() else 0).first()
        if shipment is None:
            raise NotFound("No such shipment.")
        if request.method == "GET":
            return Response(ShipmentSerializer(self.get_queryset().get(pk=shipment.pk)).data)
        data = ReceiveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.shipment_receive(
            actor=request.user, shipment=shipment, received_at=values["received_at"],
            arrival_condition=values["arrival_condition"],
            receipts={line["label"]: line["receipt"] for line in values["receipts"]},
            expected_version=values.get("version"))
        return Response(ShipmentSerializer(self.get_queryset().get(pk=shipment.pk)).data)


class ResultsUploadSerializer(serializers.Serializer):
    study = serializers.CharField(max_length=32)
    csv = serializers.CharField(required=False, trim_whitespace=False, max_length=5_000_000,
                                help_text="The manifest text, or send it as `file`")
    file = serializers.FileField(required=False)
    file_name = serializers.CharField(required=False, max_length=255)


class ResultsUploadResponseSerializer(serializers.Serializer):
    manifest = serializers.IntegerField()
    rows = serializers.IntegerField()


class ResultsUploadView(APIView):
    """Import a results manifest CSV (all or nothing); 400 lists each row's errors."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=ResultsUploadSerializer,
                   responses={201: ResultsUploadResponseSerializer})
    def post(self, request):
        data = ResultsUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        study = next((s for s in selectors.lab_studies(request.user)
                      if s.code == values["study"]), None)
        if study is None:
            raise NotFound("No such study, or you are not its central laboratory.")
        if values.get("file") is not None:
            try:
                text = values["file"].read().decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError({"file": "The file is not UTF-8 text."}) from None
            name = values["file"].name
        elif values.get("csv"):
            text, name = values["csv"], values.get("file_name") or "api-upload.csv"
        else:
            raise ValidationError({"csv": "Send the manifest as `csv` text or a `file`."})
        try:
            manifest = services.results_upload(actor=request.user, study=study, text=text,
                                               file_name=name)
        except services.ManifestRejected as exc:
            return Response({
                "file": exc.message_dict.get("file", []),
                "rows": [{"line": r.line, "aliquot_label": r.aliquot_label,
                          "errors": r.errors} for r in exc.rows],
            }, status=status.HTTP_400_BAD_REQUEST)
        return Response({"manifest": manifest.pk, "rows": manifest.row_count},
                        status=status.HTTP_201_CREATED)


