from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from trialsite import access
from visits import services


class PlannedVisitSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    target_date = serializers.DateField()
    window_start = serializers.DateField()
    window_end = serializers.DateField()


class ScheduleQuerySerializer(serializers.Serializer):
    start = serializers.DateField(help_text="Day 1 of a patient starting that day")
    until = serializers.DateField(help_text="Last target date to plan")

    def validate(self, data):
        if data["until"] < data["start"]:
            raise serializers.ValidationError({"until": "until must not be before start."})
        if (data["until"] - data["start"]).days > 3660:
            raise serializers.ValidationError({"until": "Plan at most ten years ahead."})
        return data


class StudyScheduleView(APIView):
    """The visits the protocol plans for a patient whose day 1 is ``start``."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True),
            OpenApiParameter("until", OpenApiTypes.DATE, required=True),
        ],
        responses=PlannedVisitSerializer(many=True),
    )
    def get(self, request, code):
        study = access.studies_visible_to(request.user).filter(code=code).first()
        if study is None:
            raise NotFound("No such study.")
        query = ScheduleQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ValidationError(query.errors)
        start: date = query.validated_data["start"]
        planned = services.schedule_preview(study.protocol, start,
                                            until=query.validated_data["until"])
        return Response(PlannedVisitSerializer(planned, many=True).data)
