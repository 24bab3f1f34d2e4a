"""DRF authentication with the hashed API tokens: ``Authorization: Token <key>``.

Every refused token call is logged (``trialsite.api.tokens``, WARNING) with the reason, the
client address and the key's shown prefix (never the key), so a leaked or guessed key is seen.
A token also stops working once older than ``API_TOKEN_MAX_DAYS``, whatever its expiry says
(tokens made before lifetimes were capped).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from trialsite.exports.tokens import hash_key, shown_prefix

KEYWORD = "Token"
logger = logging.getLogger("trialsite.api.tokens")


def _refuse(request, reason, key=""):
    logger.warning("API token refused (%s): %s %s from %s, key %s…", reason,
                   getattr(request, "method", "?"), getattr(request, "path", "?"),
                   request.META.get("REMOTE_ADDR", "?"), shown_prefix(key) if key else "-")
    return exceptions.AuthenticationFailed(reason)


class HashedTokenAuthentication(BaseAuthentication):
    """Find the token by the hash of the presented key; refuse revoked and expired ones."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise _refuse(request, "Invalid token header: give 'Token <key>' with no spaces "
                                   "in the key.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise _refuse(request, "Invalid token.") from None
        from trialsite.exports.models import ApiToken

        token = (ApiToken.objects.filter(key_hash=hash_key(key)).select_related("user").first())
        now = timezone.now()
        if token is None or token.voided_at is not None:
            raise _refuse(request, "Invalid token.", key)
        if token.revoked_at is not None:
            raise _refuse(request, "This token was revoked.", key)
        if token.expires_at is not None and token.expires_at <= now:
            raise _refuse(request, "This token has expired.", key)
        if token.created_at + timedelta(days=settings.API_TOKEN_MAX_DAYS + 1) <= now:
            raise _refuse(request, "This token is older than the longest lifetime allowed "
                                   f"({settings.API_TOKEN_MAX_DAYS} days).", key)
        if not token.user.is_active:
            raise _refuse(request, "The token's account is disabled.", key)
        return token.user, token

    def authenticate_header(self, request):
        return KEYWORD


class HashedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "trialsite.exports.authentication.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Token-based authentication: `Token <key>` (API access page)."}
