"""Request-level kernel: the org context of tenant routes, and JSON errors for everything under /api/."""

from __future__ import annotations

import copy
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from common import context
from common.access import Scope, route_access
from common.context import schema_connection
from common.errors import error_response
from common.membership import load_membership
from common.models import Profile, User
from common.throttling import Limit, client_ip, hit
from common.tokens import (
    IMPERSONATED_ORG_CLAIM,
    IMPERSONATOR_CLAIM,
    TOKEN_VERSION_CLAIM,
    TokenError,
    decode_access,
)
from tenants.models import OrgStatus

_SERVED_STATUSES = (OrgStatus.ACTIVE, OrgStatus.SUSPENDED, OrgStatus.DELETING)

logger = logging.getLogger("crm.errors")

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class OrgRequestContext:
    """What the middleware resolved; the DRF authentication class reuses it instead of decoding again."""

    profile: Profile
    token: Any = None
    api_key: Any = None
    # The platform admin acting through an impersonation token, if any.
    impersonator_id: str | None = None


class OrgRejected(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or {}


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
            response = self.get_response(request)
            if getattr(request, "impersonator_id", None):
                record_impersonated_request(request, response.status_code)
            return response
        finally:
            exit_org = getattr(request, "_exit_org_context", None)
            if exit_org is not None:
                exit_org()
            schema_connection.set_schema_to_public()

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
            response = error_response(rejected.status, rejected.code, rejected.detail)
            for name, value in rejected.headers.items():
                response[name] = value
            return response

        profile = resolved.profile
        _touch_org_activity(profile.org)
        manager = context.org_context(profile.org, profile)
        manager.__enter__()
        request._exit_org_context = lambda: manager.__exit__(None, None, None)  # type: ignore[attr-defined]
        request.org = profile.org  # type: ignore[attr-defined]
        request.profile = profile  # type: ignore[attr-defined]
        request.org_request_context = resolved  # type: ignore[attr-defined]
        request.impersonator_id = resolved.impersonator_id  # type: ignore[attr-defined]
        return None


_ACTIVITY_EVERY_SECONDS = 300


def _touch_org_activity(org: Any) -> None:
    """`Org.last_activity_at` for the platform list: at most one write per org every five minutes."""
    from django.core.cache import cache

    from tenants.models import Org

    if cache.add(f"orgactivity:{org.pk}", 1, _ACTIVITY_EVERY_SECONDS):
        Org.objects.filter(pk=org.pk).update(last_activity_at=timezone.now())


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


def api_key_header(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "api-key" or not raw.strip():
        return None
    return raw.strip()


_NOT_FOUND = (404, "org_not_found", "No such organisation, or you are not a member of it.")
_TOKEN_INVALID = (401, "token_invalid", "The access token is invalid or has expired.")


def resolve_org_request(request: HttpRequest) -> OrgRequestContext:
    raw_key = api_key_header(request)
    if raw_key is not None:
        return _resolve_api_key(request, raw_key)

    org_id, org_slug = parse_org_header(request.headers.get("org"))
    raw = bearer_token(request)
    if raw is None:
        raise OrgRejected(401, "not_authenticated", "Authentication credentials were not provided.")
    try:
        token = decode_access(raw)
    except TokenError:
        raise OrgRejected(*_TOKEN_INVALID) from None

    profile = load_membership(str(token["user_id"]), org_id, org_slug)
    user = profile.user if profile is not None else None
    if user is not None and (not user.is_active or token.get(TOKEN_VERSION_CLAIM) != user.token_version):
        raise OrgRejected(*_TOKEN_INVALID)
    if profile is None:
        raise OrgRejected(*_NOT_FOUND)
    impersonator_id = token.get(IMPERSONATOR_CLAIM)
    if impersonator_id is not None:
        _check_impersonation(token, profile)
    _check_membership(profile)
    if impersonator_id is None:
        _check_sign_in_requirements(profile)
    return OrgRequestContext(profile=profile, token=token, impersonator_id=impersonator_id)


def _check_membership(profile: Profile) -> None:
    status = profile.org.status
    if status not in _SERVED_STATUSES or profile.removed_at is not None:
        raise OrgRejected(*_NOT_FOUND)
    if status == OrgStatus.SUSPENDED:
        raise OrgRejected(403, "org_suspended", "This organisation is suspended.")
    if status == OrgStatus.DELETING:
        raise OrgRejected(403, "org_deleting", "This organisation is scheduled for deletion.")
    if not profile.is_active:
        raise OrgRejected(403, "membership_inactive", "Your membership of this organisation is inactive.")


def _check_sign_in_requirements(profile: Profile) -> None:
    """What the org or the platform asks of a person signing in (not of API keys or impersonation)."""
    user = profile.user
    if profile.org.requires_two_factor and not user.has_two_factor:
        raise OrgRejected(
            403, "two_factor_required", "This organisation requires two-factor authentication. Enrol first."
        )
    from tenants.onboarding import unverified_email_blocks

    if unverified_email_blocks(user):
        raise OrgRejected(403, "email_unverified", "Verify your email address to keep using this organisation.")


def _check_impersonation(token: Any, profile: Profile) -> None:
    """Only in the org it was issued for, and only while its issuer is still an active platform admin."""
    if str(profile.org_id) != str(token.get(IMPERSONATED_ORG_CLAIM)):
        raise OrgRejected(*_NOT_FOUND)
    issuer = (
        User.objects.filter(pk=token[IMPERSONATOR_CLAIM]).values_list("is_active", "is_platform_admin").first()
    )
    if issuer != (True, True):
        raise OrgRejected(*_TOKEN_INVALID)


def _resolve_api_key(request: HttpRequest, raw_key: str) -> OrgRequestContext:
    from tenants.api_keys import ApiKeyRejected, api_key_authenticate, lower_role

    try:
        api_key = api_key_authenticate(raw_key)
    except ApiKeyRejected:
        raise OrgRejected(401, "api_key_invalid", "The API key is invalid, revoked or expired.") from None
    wait = hit(API_KEY_LIMIT(), str(api_key.pk))
    if wait is not None:
        raise OrgRejected(429, "throttled", "Too many requests for this API key.", {"Retry-After": str(wait)})
    header = request.headers.get("org")
    if header and header.strip().lower() not in (str(api_key.org_id), api_key.org.slug):
        raise OrgRejected(*_NOT_FOUND)
    creator = api_key.created_by
    _check_membership(creator)
    # The key acts as its creator, with the key's role capped at the creator's current one.
    acting = copy.copy(creator)
    acting.role = lower_role(api_key.role, creator.role)
    return OrgRequestContext(profile=acting, api_key=api_key)


def API_KEY_LIMIT() -> Limit:
    return Limit("api_key", settings.API_KEY_REQUESTS_PER_MINUTE, 60)


def record_impersonated_request(request: HttpRequest, status_code: int) -> None:
    """Every request made with an impersonation token lands in the platform audit and the org's audit."""
    from tenants.audit import audit_record, platform_audit_record

    details = {"method": request.method, "path": request.path_info, "status": status_code}
    org = request.org  # type: ignore[attr-defined]
    impersonator_id = request.impersonator_id  # type: ignore[attr-defined]
    admin = User.objects.filter(pk=impersonator_id).first()
    # Both logs are public tables: writing them from inside the org's schema is fine.
    platform_audit_record(
        actor=admin, action="impersonated_request", org_id=org.pk, details=details, ip=client_ip(request)
    )
    audit_record(
        org=org,
        actor=request.profile,  # type: ignore[attr-defined]
        action="impersonated_request",
        details=details,
        ip=client_ip(request),
        impersonator_user_id=impersonator_id,
    )
