"""DRF authentication with the hashed API tokens: ``Authorization: Token <key>``."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from trialsite.exports.tokens import hash_key

KEYWORD = "Token"


class HashedTokenAuthentication(BaseAuthentication):
    """Find the token by the hash of the presented key; refuse revoked and expired ones."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid token header: give 'Token <key>' with no spaces in the key.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        from trialsite.exports.models import ApiToken

        token = (ApiToken.objects.filter(key_hash=hash_key(key)).select_related("user").first())
        if token is None or token.voided_at is not None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token was revoked.")
        if token.expires_at is not None and token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("This token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's account is disabled.")
        return token.user, token

    def authenticate_header(self, request):
        return KEYWORD


class HashedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "trialsite.exports.authentication.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Token-based authentication: `Token <key>` (API access page)."}
