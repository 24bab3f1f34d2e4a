"""API errors in one shape; domain refusals become 400/409 with the field they concern."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from trialsite.audit import StaleVersion


def exception_handler(exc, context):
    if isinstance(exc, StaleVersion):
        return Response(
            {
                "detail": str(exc),
                "current_version": exc.instance.version,
                "changes": [
                    {"version": e.version, "user": e.user_label, "at": e.at_utc.isoformat(),
                     "reason": e.reason,
                     "fields": [{"field": c.field, "old": c.old, "new": c.new} for c in e.changes]}
                    for e in exc.changes
                ],
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body = exc.message_dict
        else:
            body = {"non_field_errors": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
