"""Designed error pages, in development too.

Django answers a 404 or 403 with its yellow technical page while DEBUG is on, which is what a person
trying the demo meets when they open a page that is not theirs. Out-of-scope and missing pages are
part of using the product, not a developer's bug, so they get the product's page in every mode. A 500
keeps Django's traceback in development (that one is a bug) and the designed page in production.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import render

API_DETAIL = {
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    500: "A server error occurred.",
}


def _designed(request, status: int):
    # The API answers in JSON even where no API view was reached (an id the URL pattern refuses).
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": API_DETAIL[status]}, status=status)
    else:
        response = render(request, f"{status}.html", status=status)
    response.designed_error_page = True
    return response


def page_not_found(request, exception=None):
    return _designed(request, 404)


def permission_denied(request, exception=None):
    return _designed(request, 403)


def server_error(request):
    return _designed(request, 500)


class DesignedErrorPagesMiddleware:
    """Answer 404 and 403 with the designed pages even while DEBUG is on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # An address that matches no route never reaches a view: its 404 is made by Django's URL
        # resolver, as the technical page while DEBUG is on. The API keeps its JSON answers.
        if (
            response.status_code == 404
            and settings.DEBUG
            and not getattr(response, "designed_error_page", False)
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith("/api/")
        ):
            return page_not_found(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return permission_denied(request, exception)
        return None
