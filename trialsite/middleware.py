"""Request checks made before any view runs."""

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse

NUL_MESSAGE = "Null characters are not allowed."


class RejectNullCharactersMiddleware:
    """Refuse with 400 an address or query parameter holding a NUL character.

    No text stored here can hold one (PostgreSQL refuses it), so a NUL in a code or filter is
    bad input, never data: it gets a clear 400 naming the parameter, instead of reaching a
    database lookup that would fail with a server error. (Form fields and API bodies refuse NUL
    in their own validation.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = [name for name, values in request.GET.lists()
                  if "\x00" in name or any("\x00" in value for value in values)]
        if "\x00" in request.path:
            fields.insert(0, "path")
        if not fields:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({field.replace("\x00", "\\0"): [NUL_MESSAGE] for field in fields},
                                status=400)
        return HttpResponseBadRequest(f"{NUL_MESSAGE} ({', '.join(fields)})",
                                      content_type="text/plain; charset=utf-8")


class PermissionsPolicyMiddleware:
    """Send ``Permissions-Policy`` (``settings.PERMISSIONS_POLICY``): no camera, microphone,
    geolocation and the like for any page, so an injected script could not use them either."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class UploadLimitMiddleware:
    """Refuse a request body over ``MAX_REQUEST_BYTES`` with 413, before anything reads it.

    Every route is covered, the API included (a results upload once took 400 MB into one
    worker's memory): the declared ``Content-Length`` is checked first, and Django's own
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bounds bodies read into memory.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_BYTES
        if length > limit:
            message = (f"The upload is too large ({length // (1024 * 1024)} MB): at most "
                       f"{limit // (1024 * 1024)} MB per request.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
