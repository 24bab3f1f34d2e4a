"""Data queries over the REST API: list and read them, raise one on a record of an export
dataset, answer, close and re-open, through the same services (and rules) as the pages.

A record is named as the exports name it: ``dataset`` and ``record_id`` (the ``record_id`` of
that dataset's rows), and optionally ``variable`` (a variable of the dataset). So a data manager
who finds an odd value in ``vital_signs.csv`` raises a query on it from a script.
"""

import functools

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from trialsite.api.filters import UpdatedSinceFilterSet
from trialsite.exports.registry import all_datasets, get_dataset, visible_records
from trialsite.monitoring import selectors, services
from trialsite.monitoring.models import Query, QueryMessage


@functools.cache
def _dataset_of_model(model):
    """The export dataset whose rows are this model's records (their ``record_id``)."""
    for dataset in all_datasets():
        if dataset.rows is None and any(s.queryset().model is model for s in dataset.sources):
            return dataset.name
    return ""


@functools.cache
def _variable_of_field(model, field_name):
    dataset = _dataset_of_model(model)
    if not dataset or not field_name:
        return ""
    for var in get_dataset(dataset).variables:
        if (var.source or var.name) == field_name:
            return var.name
    return field_name


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = QueryMessage
        fields = ["kind", "text", "author", "at", "correction_version"]


class QuerySerializer(serializers.ModelSerializer):
    study = serializers.CharField(source="site.study.code", read_only=True)
    site = serializers.CharField(source="site.code", read_only=True)
    subject_id = serializers.CharField(source="patient_label", read_only=True)
    dataset = serializers.SerializerMethodField()
    variable = serializers.SerializerMethodField()
    opened_by = serializers.CharField(source="opened_by.username", read_only=True)
    opened_at = serializers.DateTimeField(source="created_at", read_only=True)
    automatic = serializers.SerializerMethodField()
    messages = MessageSerializer(many=True, read_only=True)

    class Meta:
        model = Query
        fields = ["id", "study", "site", "subject_id", "dataset", "record_id", "record_label",
                  "variable", "field_label", "record_version", "status", "automatic",
                  "check_code", "opened_by", "opened_at", "closed_at", "version", "updated_at",
                  "messages"]

    def get_dataset(self, query) -> str:
        return _dataset_of_model(query.record_type.model_class())

    def get_variable(self, query) -> str:
        return _variable_of_field(query.record_type.model_class(), query.field_name)

    def get_automatic(self, query) -> bool:
        return bool(query.check_code)


class QueryOpenSerializer(serializers.Serializer):
    dataset = serializers.CharField(max_length=64, help_text="An export dataset, e.g. vital_signs")
    record_id = serializers.IntegerField(min_value=1, max_value=2**62,
                                         help_text="The row's record_id in that dataset")
    variable = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                     help_text="The variable queried (empty: the whole record)")
    text = serializers.CharField(max_length=5000, help_text="What the site should check")


class QueryReplySerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text="The query version you loaded")


class QueryReopenSerializer(QueryReplySerializer):
    text = serializers.CharField(max_length=5000, help_text="What is still needed")


class QueryFilterSet(UpdatedSinceFilterSet):
    study = django_filters.CharFilter(field_name="site__study__code", help_text="Study code")
    site = django_filters.CharFilter(field_name="site__code", help_text="Site code")
    subject_id = django_filters.CharFilter(field_name="patient_label", help_text="Subject id")
    status = django_filters.ChoiceFilter(choices=Query.Status.choices)

    class Meta:
        model = Query
        fields = ["study", "site", "subject_id", "status", "updated_since"]


def _record(user, data):
    """The record a new query is on, if the caller may see it (404 otherwise), and the model
    field its variable stands for."""
    try:
        dataset = get_dataset(data["dataset"])
    except KeyError:
        raise ValidationError({"dataset": f"{data['dataset']!r} is not an export dataset."}) \
            from None
    if dataset.rows is not None or dataset.name == "queries":
        raise ValidationError({"dataset": f"{dataset.name} is computed, not entered: raise the "
                                          "query on the records it comes from."})
    record = None
    for source in dataset.sources:
        record = visible_records(dataset, source, user).filter(pk=data["record_id"]).first()
        if record is not None:
            break
    if record is None:
        raise NotFound(f"{dataset.name} has no record {data['record_id']} you may see.")
    field_name = ""
    if data.get("variable"):
        try:
            var = dataset.variable(data["variable"])
        except KeyError:
            raise ValidationError({"variable": f"{dataset.name} has no variable "
                                               f"{data['variable']!r}."}) from None
        source = var.source if var.source is not None else var.name
        if not isinstance(source, str) or "__" in source:
            raise ValidationError({"variable": f"{var.name} is not entered on this record's "
                                               "form: query the record as a whole."})
        field_name = source
    return record, field_name


class QueryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Data queries of the sites the caller may see (not sponsors'), oldest first, with their
    message threads. Monitors and data managers raise, close and re-open them; the site's
    coordinators and investigators answer."""

    serializer_class = QuerySerializer
    filterset_class = QueryFilterSet

    def get_queryset(self):
        return (selectors.queries_visible_to(self.request.user)
                .select_related("site__study", "opened_by", "record_type")
                .prefetch_related("messages__author"))

    def _get(self, pk):
        query = self.get_queryset().filter(pk=pk if str(pk).isdigit() else 0).first()
        if query is None:
            raise NotFound("No such query.")
        return query

    def _answer(self, query):
        return Response(QuerySerializer(self._get(query.pk)).data)

    @extend_schema(request=QueryOpenSerializer, responses={201: QuerySerializer})
    def create(self, request):
        data = QueryOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record, field_name = _record(request.user, data.validated_data)
        query = services.query_open(actor=request.user, record=record, field_name=field_name,
                                    text=data.validated_data["text"])
        return Response(QuerySerializer(self._get(query.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=QueryReplySerializer, responses={200: QuerySerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """The site's reply (and/or the correction already saved on the record)."""
        query, data = self._get(pk), self._reply(request, QueryReplySerializer)
        services.query_answer(actor=request.user, query=query, text=data.get("text", ""),
                              expected_version=data.get("version"))
        return self._answer(query)

    @extend_schema(request=QueryReplySerializer, responses={200: QuerySerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        query, data = self._get(pk), self._reply(request, QueryReplySerializer)
        services.query_close(actor=request.user, query=query, text=data.get("text", ""),
                             expected_version=data.get("version"))
        return self._answer(query)

    @extend_schema(request=QueryReopenSerializer, responses={200: QuerySerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        query, data = self._get(pk), self._reply(request, QueryReopenSerializer)
        services.query_reopen(actor=request.user, query=query, text=data["text"],
                              expected_version=data.get("version"))
        return self._answer(query)

    @staticmethod
    def _reply(request, serializer_class):
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data
