"""Request-level kernel: the org context of tenant routes, and JSON errors for everything under /api/."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from common import context
from common.access import Scope, route_access
from common.errors import error_response
from common.membership import load_membership
from common.models import Profile
from common.tokens import TOKEN_VERSION_CLAIM, TokenError, decode_access
from tenants.models import OrgStatus

logger = logging.getLogger("crm.errors")

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class OrgRequestContext:
    """What the middleware resolved; the DRF authentication class reuses it instead of decoding again."""

    profile: Profile
    token: Any


class OrgRejected(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        self.status, self.code, self.detail = status, code, detail


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


class OrgContextMiddleware:
    """Tenant routes: bearer token + `org` header -> request.profile / request.org, in the org's schema.

    Whatever happens, the connection is back on the public schema and no org is active after the response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            exit_org = getattr(request, "_exit_org_context", None)
            if exit_org is not None:
                exit_org()
            connection.set_schema_to_public()

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        access = route_access(match.view_name) if match else None
        if access is None or access.scope != Scope.TENANT:
            return None
        try:
            resolved = resolve_org_request(request)
        except OrgRejected as rejected:
            return error_response(rejected.status, rejected.code, rejected.detail)

        profile = resolved.profile
        manager = context.org_context(profile.org, profile)
        manager.__enter__()
        request._exit_org_context = lambda: manager.__exit__(None, None, None)  # type: ignore[attr-defined]
        request.org = profile.org  # type: ignore[attr-defined]
        request.profile = profile  # type: ignore[attr-defined]
        request.org_request_context = resolved  # type: ignore[attr-defined]
        return None


def parse_org_header(value: str | None) -> tuple[uuid.UUID | None, str | None]:
    if value is None or not value.strip():
        raise OrgRejected(400, "org_required", "This route needs an `org` header with the org's id or slug.")
    value = value.strip()
    try:
        return uuid.UUID(value), None
    except ValueError:
        pass
    slug = value.lower()
    if not _SLUG.match(slug):
        raise OrgRejected(400, "org_invalid", "The `org` header must be an org id (UUID) or slug.")
    return None, slug


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    return raw.strip()


def resolve_org_request(request: HttpRequest) -> OrgRequestContext:
    org_id, org_slug = parse_org_header(request.headers.get("org"))

    raw = bearer_token(request)
    if raw is None:
        raise OrgRejected(401, "not_authenticated", "Authentication credentials were not provided.")
    try:
        token = decode_access(raw)
    except TokenError:
        raise OrgRejected(401, "token_invalid", "The access token is invalid or has expired.") from None

    profile = load_membership(str(token["user_id"]), org_id, org_slug)
    user = profile.user if profile is not None else None
    if user is not None and (not user.is_active or token.get(TOKEN_VERSION_CLAIM) != user.token_version):
        raise OrgRejected(401, "token_invalid", "The access token is invalid or has expired.")
    if profile is None or profile.org.status == OrgStatus.TEMPLATE:
        raise OrgRejected(404, "org_not_found", "No such organisation, or you are not a member of it.")
    if profile.org.status == OrgStatus.SUSPENDED:
        raise OrgRejected(403, "org_suspended", "This organisation is suspended.")
    if profile.org.status == OrgStatus.DELETING:
        raise OrgRejected(403, "org_deleting", "This organisation is scheduled for deletion.")
    if not profile.is_active:
        raise OrgRejected(403, "membership_inactive", "Your membership of this organisation is inactive.")
    return OrgRequestContext(profile=profile, token=token)
