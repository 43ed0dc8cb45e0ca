"""One JSON error envelope, `{"code", "detail", "fields"}`, for every error the API returns."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import IntegrityError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger("crm.errors")

FieldErrors = dict[str, list[dict[str, str]]]


class ApiError(exceptions.APIException):
    """A domain error with its own code; raise it from services and selectors."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "The request is not valid."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        fields: FieldErrors | None = None,
    ) -> None:
        self.code = code or self.default_code
        if status_code is not None:
            self.status_code = status_code
        self.fields = fields or {}
        super().__init__(detail or self.default_detail, self.code)


class NotFound(ApiError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_detail = "Not found."


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state of the resource."


def field_error(name: str, code: str, detail: str, *, status_code: int | None = None) -> ApiError:
    """An error about one field of the request, in the envelope's `fields` as well."""
    return ApiError(detail, code=code, status_code=status_code, fields={name: [{"code": code, "detail": detail}]})


def envelope(code: str, detail: str, fields: FieldErrors | None = None) -> dict[str, Any]:
    return {"code": code, "detail": detail, "fields": fields or {}}


def error_response(status_code: int, code: str, detail: str, fields: FieldErrors | None = None) -> JsonResponse:
    return JsonResponse(envelope(code, detail, fields), status=status_code)


def _field_errors(data: Any, prefix: str = "") -> FieldErrors:
    """Flatten DRF's nested ErrorDetail structure into `{"field.sub": [{"code", "detail"}]}`."""
    result: FieldErrors = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for sub_name, errors in _field_errors(value, name).items():
                result.setdefault(sub_name, []).extend(errors)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if isinstance(value, (dict, list)):
                for sub_name, errors in _field_errors(
                    value, f"{prefix}.{index}" if prefix else str(index)
                ).items():
                    result.setdefault(sub_name, []).extend(errors)
            else:
                result.setdefault(prefix or "non_field_errors", []).append(_one_error(value))
    else:
        result.setdefault(prefix or "non_field_errors", []).append(_one_error(data))
    return result


def _one_error(value: Any) -> dict[str, str]:
    return {"code": str(getattr(value, "code", None) or "invalid"), "detail": str(value)}


def _validation_envelope(exc: exceptions.ValidationError) -> dict[str, Any]:
    fields = _field_errors(exc.detail)
    codes = {error["code"] for errors in fields.values() for error in errors}
    # One shared code (say `email_taken`) is more useful to a client than a generic one.
    code = codes.pop() if len(codes) == 1 else "invalid"
    first = next(iter(next(iter(fields.values()), [])), None)
    detail = first["detail"] if first and len(fields) == 1 and len(next(iter(fields.values()))) == 1 else None
    return envelope(code, detail or "The request has invalid fields.", fields)


_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "token_invalid",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


def refused_request_envelope(exc: Exception) -> tuple[int, dict[str, Any]] | None:
    """What Django's own refusals of a request (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields, a
    suspicious header) answer in the envelope, wherever they are raised; None for anything else."""
    if isinstance(exc, RequestDataTooBig):
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        detail = f"The request body is too large: at most {megabytes:g} MB (files go in multipart uploads)."
        return status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, envelope("payload_too_large", detail)
    if isinstance(exc, SuspiciousOperation):
        return status.HTTP_400_BAD_REQUEST, envelope("bad_request", "The request was refused as malformed.")
    return None


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    from rest_framework.views import set_rollback  # rest_framework.views imports the settings that name us

    refused = refused_request_envelope(exc)
    if refused is not None:
        return Response(refused[1], status=refused[0])
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, IntegrityError):
        # A race the service's own checks could not see (two requests creating the same unique thing).
        logger.warning("integrity error turned into 409: %s", exc)
        set_rollback()
        return Response(
            envelope("conflict", "The request conflicts with existing data. Reload and try again."),
            status=status.HTTP_409_CONFLICT,
        )
    if not isinstance(exc, exceptions.APIException):
        return None  # the ApiErrorMiddleware turns it into a 500 envelope

    headers: dict[str, str] = {}
    wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
    if wait is not None:
        headers["Retry-After"] = str(int(wait) + 1)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        headers["WWW-Authenticate"] = 'Bearer realm="api"'

    if isinstance(exc, exceptions.Throttled):
        # The wait goes in Retry-After; DRF would also append it to the sentence.
        body = envelope("throttled", "Too many attempts. Try again later.")
    elif isinstance(exc, ApiError):
        body = envelope(exc.code, str(exc.detail), exc.fields)
    elif isinstance(exc, exceptions.ValidationError):
        body = _validation_envelope(exc)
    else:
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.default_detail)
        detail_code = getattr(exc.detail, "code", None)
        if isinstance(exc, exceptions.AuthenticationFailed) and detail_code not in (
            None,
            "authentication_failed",
        ):
            code = str(detail_code)
        body = envelope(code or str(exc.default_code), str(detail))

    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


# --- Django-level views for errors raised outside DRF (URL not found, crashes) -----------------------------


def not_found_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(404, "not_found", "Not found.")


def server_error_view(request: HttpRequest) -> JsonResponse:
    return error_response(500, "server_error", "Something went wrong on our side. It has been logged.")


def bad_request_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(400, "bad_request", "Bad request.")


def permission_denied_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(403, "permission_denied", "You do not have permission to perform this action.")
