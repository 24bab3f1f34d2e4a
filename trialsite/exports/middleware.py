"""Log every API call with the user it ran as (the token's user) and the token used."""

from trialsite.exports.models import ApiRequest, ApiToken


class ApiRequestLogMiddleware:
    """One row per ``/api/`` request that authenticated (a token or a session)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                token = getattr(request, "auth", None)
                ApiRequest.objects.create(
                    user=user, token=token if isinstance(token, ApiToken) else None,
                    method=request.method[:10], path=request.path[:500],
                    query=request.META.get("QUERY_STRING", "")[:1000],
                    status_code=response.status_code,
                )
        return response
