"""The exports API: dataset list, streamed datasets, dictionary, ODM and data packages."""

import json

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from trialsite import files
from trialsite.exports import services
from trialsite.exports.dictionary import HEADER, dictionary_rows
from trialsite.exports.models import DataPackage
from trialsite.exports.odm import odm_chunks
from trialsite.exports.packages import package_name
from trialsite.exports.registry import (
    DatasetError,
    Filters,
    all_datasets,
    csv_stream,
    get_dataset,
    iter_rows,
)
from trialsite.exports.streaming import (
    DATA_CUT_HEADER,
    streamed_csv_chunks_response,
    streamed_csv_response,
    streamed_ndjson_response,
)


class _StreamRenderer(BaseRenderer):
    """Streams are written by the view; an error body (a dict) is written as JSON."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return json.dumps(data).encode()


class CsvRenderer(_StreamRenderer):
    media_type = "text/csv"
    format = "csv"


class NdjsonRenderer(_StreamRenderer):
    media_type = "application/x-ndjson"
    format = "ndjson"


class XmlRenderer(_StreamRenderer):
    media_type = "application/xml"
    format = "xml"


class ZipRenderer(_StreamRenderer):
    media_type = "application/zip"
    format = "zip"


class AnyFileRenderer(_StreamRenderer):
    """Downloads of built files (a zip, or a SAS, SPSS or Stata file)."""

    media_type = "*/*"
    format = "file"


class _JsonErrors:
    """Refusals (400, 404) are JSON whatever format the stream would have been."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class ExportFilters(serializers.Serializer):
    site = serializers.RegexField(r"^[A-Z0-9]{2,12}$", required=False,
                                  help_text="Only this site (site code).")
    study = serializers.CharField(max_length=32, required=False,
                                  help_text="Only this study (study code).")
    updated_since = serializers.DateTimeField(
        required=False, help_text="Incremental pull: rows created, changed or voided at or "
                                  "after this time (ISO 8601), voided rows included.")
    date_from = serializers.DateField(required=False,
                                      help_text="Audit trail: entries on or after this day.")
    date_to = serializers.DateField(required=False,
                                    help_text="Audit trail: entries on or before this day.")

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and end < start:
            raise serializers.ValidationError({"date_to": "The range ends before it starts."})
        return attrs


def _filters(request):
    form = ExportFilters(data=request.query_params)
    form.is_valid(raise_exception=True)
    return Filters(**form.validated_data)


class VariableOut(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField()
    unit = serializers.CharField()
    codes = serializers.DictField(child=serializers.CharField())


class DatasetOut(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    incremental = serializers.BooleanField()
    date_range = serializers.BooleanField()
    csv = serializers.CharField()
    ndjson = serializers.CharField()
    statistical_files = serializers.CharField(
        help_text="POST {dataset, format} here to build it as xpt, sav or dta.")
    variables = VariableOut(many=True)


def dataset_description(dataset, request=None):
    def url(fmt):
        path = reverse("export-dataset", kwargs={"dataset": dataset.name, "fmt": fmt})
        return request.build_absolute_uri(path) if request is not None else path

    return {
        "name": dataset.name, "label": dataset.label, "description": dataset.description,
        "incremental": dataset.incremental, "date_range": bool(dataset.date_path),
        "csv": url("csv"), "ndjson": url("ndjson"),
        "statistical_files": (request.build_absolute_uri(reverse("export-files"))
                              if request is not None else reverse("export-files")),
        "variables": [{"name": v.name, "label": v.label, "type": v.type, "unit": v.unit,
                       "codes": dict(v.codes)} for v in dataset.variables],
    }


class ExportListView(APIView):
    """The datasets, each with its variables and download addresses."""

    @extend_schema(responses=DatasetOut(many=True))
    def get(self, request):
        return Response([dataset_description(d, request) for d in all_datasets()])


class DatasetExportView(_JsonErrors, APIView):
    """One dataset as CSV or NDJSON, streamed, in a stable order (see the dictionary)."""

    renderer_classes = [CsvRenderer, NdjsonRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("dataset", str, OpenApiParameter.PATH,
                             enum=[d.name for d in all_datasets()] or None),
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["csv", "ndjson"]),
            ExportFilters,
        ],
        responses={(200, "text/csv"): OpenApiTypes.STR,
                   (200, "application/x-ndjson"): OpenApiTypes.STR,
                   400: OpenApiResponse(description="A filter is malformed."),
                   404: OpenApiResponse(description="No such dataset.")},
    )
    def get(self, request, dataset, fmt):
        try:
            ds = get_dataset(dataset)
        except KeyError:
            raise Http404 from None
        filters = _filters(request)
        data_cut = timezone.now()
        try:
            if fmt == "csv":
                return streamed_csv_chunks_response(csv_stream(ds, request.user, filters),
                                                    filename=f"{ds.name}.csv", data_cut=data_cut)
            rows = iter_rows(ds, request.user, filters)
        except DatasetError as exc:
            return Response({"updated_since": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return streamed_ndjson_response(ds.names, rows, filename=f"{ds.name}.ndjson",
                                        data_cut=data_cut)


class DictionaryView(_JsonErrors, APIView):
    """Every variable of every dataset: label, type, unit and allowed codes."""

    renderer_classes = [CsvRenderer]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request):
        return streamed_csv_response(HEADER, dictionary_rows(), filename="dictionary.csv")


class OdmQuery(serializers.Serializer):
    audit = serializers.BooleanField(required=False, default=False,
                                     help_text="1: add the audit trail as AuditRecords.")
    site = serializers.RegexField(r"^[A-Z0-9]{2,12}$", required=False)
    study = serializers.CharField(max_length=32, required=False)


class OdmView(_JsonErrors, APIView):
    """Every visible study as one CDISC ODM 1.3.2 file (metadata and clinical data)."""

    renderer_classes = [XmlRenderer]

    @extend_schema(parameters=[OdmQuery], responses={(200, "application/xml"): OpenApiTypes.STR,
                                                     400: OpenApiResponse()})
    def get(self, request):
        query = OdmQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        options = query.validated_data
        data_cut = timezone.now()
        from django.http import StreamingHttpResponse

        response = StreamingHttpResponse(
            odm_chunks(request.user, data_cut=data_cut, audit=options["audit"],
                       filters=Filters(site=options.get("site"), study=options.get("study"))),
            content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="odm.xml"'
        response[DATA_CUT_HEADER] = data_cut.isoformat()
        return response


class PackageOut(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = DataPackage
        fields = ["id", "dataset", "file_format", "status", "percent", "steps_done",
                  "steps_total", "current_step",
                  "requested_at", "data_cut", "finished_at", "size_bytes", "sha256", "error",
                  "download"]

    def get_download(self, package) -> str | None:
        if package.status != DataPackage.Status.READY:
            return None
        return reverse("export-package-download", kwargs={"pk": package.pk})


def _own_packages(user):
    return DataPackage.objects.filter(requested_by=user)


class StatFileIn(serializers.Serializer):
    dataset = serializers.CharField(max_length=64)
    format = serializers.ChoiceField(choices=["xpt", "sav", "dta"])


class StatFileView(APIView):
    """One dataset as a SAS transport v5 (xpt), SPSS (sav) or Stata (dta) file: POST starts
    the job that builds it (these formats cannot be streamed); poll the package it returns and
    download it from there. GET lists your statistical files (newest first)."""

    @extend_schema(responses=PackageOut(many=True))
    def get(self, request):
        files = _own_packages(request.user).exclude(dataset="")
        return Response(PackageOut(files[:50], many=True).data)

    @extend_schema(request=StatFileIn, responses={202: PackageOut, 400: OpenApiResponse()})
    def post(self, request):
        form = StatFileIn(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            package = services.stat_file_request(actor=request.user,
                                                 dataset=form.validated_data["dataset"],
                                                 file_format=form.validated_data["format"])
        except ValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        package.refresh_from_db()
        return Response(PackageOut(package).data, status=status.HTTP_202_ACCEPTED)


class PackageListView(APIView):
    """Your data packages (newest first); POST starts a new one."""

    @extend_schema(responses=PackageOut(many=True))
    def get(self, request):
        return Response(PackageOut(_own_packages(request.user)[:50], many=True).data)

    @extend_schema(request=None, responses={202: PackageOut})
    def post(self, request):
        package = services.package_request(actor=request.user)
        package.refresh_from_db()
        return Response(PackageOut(package).data, status=status.HTTP_202_ACCEPTED)


def _own_package(user, pk):
    try:
        return _own_packages(user).get(pk=pk)
    except DataPackage.DoesNotExist:
        raise Http404 from None


class PackageDetailView(APIView):
    """A package's progress; ``download`` is set when it is ready."""

    @extend_schema(responses=PackageOut)
    def get(self, request, pk):
        return Response(PackageOut(_own_package(request.user, pk)).data)


class PackageDownloadView(_JsonErrors, APIView):
    renderer_classes = [ZipRenderer, AnyFileRenderer]

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY,
                              (200, "application/x-sas-xport"): OpenApiTypes.BINARY,
                              404: OpenApiResponse(description="Not yours, or not ready.")})
    def get(self, request, pk):
        package = _own_package(request.user, pk)
        if package.status != DataPackage.Status.READY:
            raise Http404
        try:
            stored = files.open_file(package_name(package))
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(stored, as_attachment=True, filename=package.file_name,
                                content_type=package.media_type)
        if package.size_bytes is not None:
            response["Content-Length"] = str(package.size_bytes)
        response[DATA_CUT_HEADER] = package.data_cut.isoformat()
        return response
