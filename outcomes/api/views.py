from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from outcomes import reports, selectors
from outcomes.domain.corelab import CoreLabError
from trialsite import access

EXAMPLE = {
    "reference_date": "2026-01-05",
    "baseline": {"date": "2025-12-20",
                 "targets": [{"id": "T1", "organ": "liver", "nodal": False, "diameter_mm": 50}],
                 "nontargets": [{"id": "NT1", "organ": "bone"}]},
    "followups": [{"date": "2026-03-30", "targets": {"T1": 30},
                   "nontargets": {"NT1": "PRESENT"}, "new_lesions": "NO"}],
}


class RecistEvaluateView(APIView):
    """Evaluate a core-lab RECIST 1.1 document: responses with their working; nothing saved."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT,
                                                           400: OpenApiTypes.OBJECT},
                   examples=[OpenApiExample("Core-lab read", value=EXAMPLE, request_only=True)])
    def post(self, request):
        if not isinstance(request.data, dict):
            return Response({"error": {"code": "INVALID_VALUE",
                                       "message": "the body must be a JSON object"}},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            return Response(selectors.corelab_evaluate(request.data))
        except CoreLabError as exc:
            return Response(exc.as_dict(), status=status.HTTP_400_BAD_REQUEST)


class EndpointsView(APIView):
    """Per-patient RECIST 1.1 endpoints of the enrolled patients the caller may see.

    Filters: ``study`` (study code) and ``site`` (site code). An unknown or invisible study or
    site answers 404. Computed on request from the stored assessments; nothing is saved.
    """

    @extend_schema(
        parameters=[OpenApiParameter("study", str, description="Study code"),
                    OpenApiParameter("site", str, description="Site code")],
        responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        study = site = None
        if request.query_params.get("study"):
            study = access.studies_visible_to(request.user).filter(
                code=request.query_params["study"]).first()
            if study is None:
                raise NotFound("No such study")
        if request.query_params.get("site"):
            site = access.sites_visible_to(request.user).filter(
                code=request.query_params["site"]).first()
            if site is None:
                raise NotFound("No such site")
        rows = [reports.endpoint_row(r)
                for r in reports.study_endpoints(request.user, study=study, site=site)]
        return Response({"count": len(rows), "results": rows})
