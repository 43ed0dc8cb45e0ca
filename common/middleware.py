"""The request's outer layers: its id, log line and metrics; JSON errors for everything under /api/."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import SimpleLazyObject, empty

from common.context import active_org, active_profile
from common.errors import error_response, refused_request_envelope
from common.logs import REQUEST_ATTRIBUTE, bind, log_context
from common.metrics import record_request
from common.proxies import FORWARDED_META_KEYS, is_trusted, parse_address
from common.throttling import client_ip

logger = logging.getLogger("crm.errors")
request_logger = logging.getLogger("crm.request")

REQUEST_ID_HEADER = "X-Request-ID"
# An id from the caller (a proxy's or a client's) is kept when it is a sane token; anything else gets our own.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Probes and scrapes arrive every few seconds from every load balancer and Prometheus: logged at DEBUG when fine.
QUIET_ROUTES = frozenset({"health", "health-live", "health-ready", "metrics"})


class RequestContextMiddleware:
    """Outermost: the request id (taken from X-Request-ID or made, and sent back), the client's address, one log
    line and the metrics of every request, and forwarded headers dropped when no trusted proxy sent them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = _request_id(request)
        if not is_trusted(parse_address(request.META.get("REMOTE_ADDR")), settings.TRUSTED_PROXIES):
            for key in FORWARDED_META_KEYS:  # SECURE_PROXY_SSL_HEADER must not take a client's word for https
                request.META.pop(key, None)
        queries = _QueryCounter()
        with log_context(request_id=request_id, client_ip=client_ip(request)) as fields:
            setattr(request, REQUEST_ATTRIBUTE, fields)
            with connection.execute_wrapper(queries):
                response = self.get_response(request)
            route = _route_name(request)
            seconds = time.perf_counter() - started
            user = fields.get("user") or _signed_in_user_id(request)
            if user:
                bind(user=user)
            bind(route=route)
            quiet = route in QUIET_ROUTES and response.status_code < 400
            request_logger.log(
                logging.DEBUG if quiet else logging.INFO,
                "%s %s %s",
                request.method,
                request.path_info,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path_info,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                    "db_queries": queries.count,
                },
            )
            record_request(
                route=route,
                method=str(request.method),
                status=response.status_code,
                seconds=seconds,
                queries=queries.count,
            )
        response[REQUEST_ID_HEADER] = request_id
        return response

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        bind(route=_route_name(request))


class OrgLogContextMiddleware:
    """Right after the org pipeline: the org and member it resolved go into the request's log context (and so
    onto every later log line, the request's own line and its Sentry events)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        org, profile = active_org(), active_profile()
        if org is not None:
            bind(org=str(org.pk))
        if profile is not None:
            bind(user=str(profile.user_id))


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _request_id(request: HttpRequest) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _route_name(request: HttpRequest) -> str:
    """The route's name (`api:contacts-list`): a bounded label, unlike the path with its ids."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name:
        return str(match.view_name)
    if request.path_info.startswith(f"/{settings.STATIC_URL.lstrip('/')}"):
        return "static"
    return "unmatched"


def _signed_in_user_id(request: HttpRequest) -> str | None:
    """The user DRF or the session signed in, if the request already looked; never a session read of its own."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject) and getattr(user, "_wrapped", empty) is empty:
        return None
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.pk)
    return None


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
