"""The outermost request layer: JSON errors for everything under /api/, whatever DEBUG says."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from common.errors import error_response, refused_request_envelope

logger = logging.getLogger("crm.errors")


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


class ApiErrorMiddleware:
    """Outermost: no HTML error page and no traceback ever leaves /api/, whatever DEBUG says."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _is_api(request) and response.status_code >= 400 and not isinstance(response, JsonResponse):
            content_type = response.get("Content-Type", "")
            if not content_type.startswith("application/json"):
                return _envelope_for_status(response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_api(request):
            return None
        refused = refused_request_envelope(exception)
        if refused is not None:
            return JsonResponse(refused[1], status=refused[0])
        logger.exception("unhandled error on %s %s", request.method, request.path_info)
        return error_response(500, "server_error", "Something went wrong on our side. It has been logged.")


def _envelope_for_status(status: int) -> JsonResponse:
    if status == 404:
        return error_response(404, "not_found", "Not found.")
    if status == 403:
        return error_response(403, "permission_denied", "You do not have permission to perform this action.")
    if status == 405:
        return error_response(405, "method_not_allowed", "Method not allowed.")
    if status >= 500:
        return error_response(status, "server_error", "Something went wrong on our side. It has been logged.")
    return error_response(status, "bad_request", "Bad request.")
