"""Prescreen API: evaluate candidates against a study's criteria without storing anything."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from eligibility.api.serializers import (
    MAX_CANDIDATES,
    PrescreenCandidateSerializer,
    PrescreenErrorSerializer,
    PrescreenResultSerializer,
)
from eligibility.domain.prescreen import prescreen_row
from eligibility.domain.variables import unknown_columns
from trialsite import access
from trialsite.models import Membership, Role
from trialsite.protocols import get_protocol

#: Roles of a study that may prescreen its candidates (and superusers).
PRESCREEN_ROLES = frozenset({Role.COORDINATOR, Role.INVESTIGATOR, Role.DATA_MANAGER})


class StudyPrescreenView(APIView):
    """Prescreen candidates of a study: results only, nothing is stored."""

    parser_classes = [JSONParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication first
        self.study, self.protocol = self._study(request.user, kwargs["code"])

    @staticmethod
    def _study(user, code):
        """The study if the user takes part in it (else 404) with a prescreening role (else 403)."""
        study = access.studies_visible_to(user).filter(code=code).first()
        if study is None:
            raise Http404("No such study.")
        try:
            protocol = get_protocol(study.code)
        except KeyError:
            raise Http404("No eligibility criteria are declared for this study.") from None
        allowed = user.is_superuser or Membership.objects.active().filter(
            user=user, study=study, role__in=PRESCREEN_ROLES
        ).exists()
        if not allowed:
            raise PermissionDenied(
                "Prescreening is open to the study's coordinators, investigators and data "
                "managers."
            )
        return study, protocol

    @extend_schema(
        operation_id="study_prescreen",
        summary="Prescreen candidates against the study's eligibility criteria",
        description=(
            "Evaluates each candidate with the same engine as the screening pages and returns "
            "one result per candidate, in the input order. Nothing is stored. Values are those "
            "of the study's screening variables (see docs/prescreening.md); a value that cannot "
            "be read is reported in `errors` and counts as missing. At most "
            f"{MAX_CANDIDATES} candidates per request. Open to the study's coordinators, "
            "investigators and data managers."
        ),
        tags=["eligibility"],
        parameters=[
            OpenApiParameter(
                "code", OpenApiTypes.STR, OpenApiParameter.PATH,
                description="Study code, e.g. ICRG0201 or PALMARES-2",
            ),
        ],
        request=PrescreenCandidateSerializer(many=True),
        responses={
            200: PrescreenResultSerializer(many=True),
            400: OpenApiResponse(
                PrescreenErrorSerializer,
                description="Not a list of candidate objects, more than "
                            f"{MAX_CANDIDATES} candidates, or a value that is not a string, "
                            "a number or null",
            ),
            403: OpenApiResponse(description="The user's role in the study may not prescreen"),
            404: OpenApiResponse(description="No such study among the user's studies"),
        },
        examples=[
            OpenApiExample(
                "PALMARES-2 candidate",
                description="The body is a list of such objects; numbers may be strings.",
                request_only=True,
                value={
                    "candidate_id": "P002", "sex": "F", "birth_date": "1960-04-02",
                    "consent_date": "2024-02-01", "er_percent": 0, "pgr_percent": "0",
                    "her2_ihc": "2+", "her2_ish": "NEGATIVE",
                    "prior_systemic_for_advanced": "N", "cdk46i": "PALBOCICLIB",
                    "cdk46i_start_date": "2024-01-15", "cdk46i_with_endocrine": "Y",
                    "cdk46i_adjuvant": "N", "data_cutoff_date": "2024-03-31",
                },
            ),
            OpenApiExample(
                "PALMARES-2 result",
                description="One result per candidate, in the input order.",
                response_only=True,
                value={
                    "candidate_id": "P002", "result": "NOT_ELIGIBLE",
                    "failed": ["P-EXC01", "P-INC01"], "missing": [], "errors": [],
                },
            ),
        ],
    )
    def post(self, request, code):
        if request.stream is None:
            raise ValidationError({"detail": "The body is empty: send a JSON list of candidates."})
        serializer = PrescreenCandidateSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        variables, criteria = self.protocol.eligibility_variables, self.protocol.criteria
        results = []
        for candidate in serializer.validated_data:
            row = prescreen_row(variables, criteria, candidate)
            ignored = tuple(
                f"{name}: {self.protocol.code} declares no such variable (ignored)"
                for name in unknown_columns(variables, candidate)
            )
            results.append({**row._asdict(), "errors": row.errors + ignored})
        return Response(PrescreenResultSerializer(results, many=True).data)
