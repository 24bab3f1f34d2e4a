"""Writes that happen once: a double-submitted create form or API write creates one record.

A create form carries a one-time token (``{% submit_once %}``, a hidden ``_submit_once``
field); an API client may send an ``Idempotency-Key`` header. Before the view runs, the
middleware claims the key for the user with one committed ``INSERT`` (a unique constraint makes
the claim atomic across processes). The first submission runs; its redirect is remembered. A
second submission of the same key — a double click, a browser retry, two tabs — does not run
the view: a form gets the first one's redirect (or, while the first is still running, a short
"already submitted" page), the API gets 409 with the location. A submission that does not
succeed (a form error) releases its key, so the corrected form can be sent again.
"""

import uuid

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect

FIELD = "_submit_once"
HEADER = "HTTP_IDEMPOTENCY_KEY"


def new_token():
    return uuid.uuid4().hex


class SubmitOnceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST":
            return self.get_response(request)
        api = request.path.startswith("/api/")
        key = request.META.get(HEADER) if api else request.POST.get(FIELD)
        if not key:
            return self.get_response(request)
        user = getattr(request, "user", None)
        if api and (user is None or not user.is_authenticated):
            user = _token_user(request)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        from trialsite.models import SubmissionToken

        key = f"{user.pk}:{key[:60]}"
        try:
            with transaction.atomic():
                token = SubmissionToken.objects.create(key=key, user=user, path=request.path[:300])
        except IntegrityError:
            return self._repeat(request, SubmissionToken.objects.filter(key=key).first(), api)
        response = self.get_response(request)
        done = response.status_code < 400 if api else response.status_code in (301, 302, 303)
        if not done:
            # Not done (a form shown again with its errors): the key may be used again.
            SubmissionToken.objects.filter(pk=token.pk).delete()
        else:
            SubmissionToken.objects.filter(pk=token.pk).update(
                location=(response.get("Location") or "")[:500],
                status_code=response.status_code)
        return response

    def _repeat(self, request, token, api):
        location = token.location if token is not None else ""
        if api:
            return JsonResponse({"detail": "This request was already received (same "
                                           "Idempotency-Key); nothing was written again.",
                                 "location": location}, status=409)
        if location:
            return redirect(location)
        return HttpResponse(
            "This form was already submitted and is being saved; nothing was saved twice. "
            "Go back and reload the page.", status=409, content_type="text/plain; charset=utf-8")


def _token_user(request):
    """The API token's user, found as the API's own authentication will find it (or None): the
    configured DRF authentication classes other than the session's, in their order."""
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.exceptions import APIException
    from rest_framework.settings import api_settings

    for authentication in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        if issubclass(authentication, SessionAuthentication):
            continue
        try:
            found = authentication().authenticate(request)
        except APIException:
            return None
        if found:
            return found[0]
    return None
