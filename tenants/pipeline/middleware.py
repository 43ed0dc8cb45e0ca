"""The org pipeline of tenant routes: credential + `org` header -> the acting member, in the org's schema.

Whatever happens, the connection is back on the public schema and no org is active after the response.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from common.access import Scope
from common.context import org_context, schema_connection
from common.errors import error_response
from common.models import Profile, User
from common.registry import route_access
from common.throttling import Limit, client_ip, hit
from common.tokens import (
    IMPERSONATED_ORG_CLAIM,
    IMPERSONATOR_CLAIM,
    TOKEN_VERSION_CLAIM,
    TokenError,
    decode_access,
)
from tenants.accounts.email_links import unverified_email_blocks
from tenants.accounts.sessions import session_is_revoked
from tenants.accounts.two_factor import PLATFORM_TWO_FACTOR_REQUIRED, platform_two_factor_blocks
from tenants.audit import audit_record, platform_audit_record
from tenants.models import Org
from tenants.pipeline.context import OrgRejected, OrgRequestContext, bind_org_request, org_request_or_none
from tenants.pipeline.credentials import (
    NOT_FOUND,
    TOKEN_INVALID,
    api_key_caller,
    api_key_find,
    api_key_header,
    bearer_token,
    membership_check,
    parse_org_header,
)
from tenants.pipeline.membership import load_membership

_ORG_EXIT = "_org_context_exit"


class OrgContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with ExitStack() as org_exit:
            setattr(request, _ORG_EXIT, org_exit)
            try:
                response = self.get_response(request)
                resolved = org_request_or_none(request)
                if resolved is not None and resolved.impersonator_id:
                    record_impersonated_request(request, resolved, response.status_code)
                return response
            finally:
                org_exit.close()
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
            response = error_response(rejected.status_code, str(rejected.code), str(rejected.detail))
            for name, value in rejected.headers.items():
                response[name] = value
            return response

        profile = resolved.profile
        _touch_org_activity(profile.org)
        org_exit: ExitStack = getattr(request, _ORG_EXIT)
        org_exit.enter_context(org_context(profile.org, profile))
        bind_org_request(request, resolved)
        return None


_ACTIVITY_EVERY_SECONDS = 300


def _touch_org_activity(org: Any) -> None:
    """`Org.last_activity_at` for the platform list: at most one write per org every five minutes."""
    if cache.add(f"orgactivity:{org.pk}", 1, _ACTIVITY_EVERY_SECONDS):
        Org.objects.filter(pk=org.pk).update(last_activity_at=timezone.now())


def resolve_org_request(request: HttpRequest) -> OrgRequestContext:
    raw_key = api_key_header(request)
    if raw_key is not None:
        api_key = api_key_find(raw_key)
        wait = hit(API_KEY_LIMIT(), str(api_key.pk))
        if wait is not None:
            raise OrgRejected(429, "throttled", "Too many requests for this API key.", {"Retry-After": str(wait)})
        return api_key_caller(api_key, request.headers.get("org"))

    org_id, org_slug = parse_org_header(request.headers.get("org"))
    raw = bearer_token(request)
    if raw is None:
        raise OrgRejected(401, "not_authenticated", "Authentication credentials were not provided.")
    try:
        token = decode_access(raw)
    except TokenError:
        raise OrgRejected(*TOKEN_INVALID) from None
    if session_is_revoked(token):
        raise OrgRejected(*TOKEN_INVALID)

    profile = load_membership(str(token["user_id"]), org_id, org_slug)
    user = profile.user if profile is not None else None
    if user is not None and (not user.is_active or token.get(TOKEN_VERSION_CLAIM) != user.token_version):
        raise OrgRejected(*TOKEN_INVALID)
    if profile is None:
        raise OrgRejected(*NOT_FOUND)
    impersonator_id = token.get(IMPERSONATOR_CLAIM)
    if impersonator_id is not None:
        _check_impersonation(token, profile)
    membership_check(profile)
    if impersonator_id is None:
        _check_sign_in_requirements(profile)
    return OrgRequestContext(profile=profile, token=token, impersonator_id=impersonator_id)


def _check_sign_in_requirements(profile: Profile) -> None:
    """What the org or the platform asks of a person signing in (not of API keys or impersonation)."""
    user = profile.user
    if profile.org.requires_two_factor and not user.has_two_factor:
        raise OrgRejected(
            403, "two_factor_required", "This organisation requires two-factor authentication. Enrol first."
        )
    if unverified_email_blocks(user):
        raise OrgRejected(403, "email_unverified", "Verify your email address to keep using this organisation.")


def _check_impersonation(token: Any, profile: Profile) -> None:
    """Only in the org it was issued for, and only while its issuer is still an active platform admin."""
    if str(profile.org_id) != str(token.get(IMPERSONATED_ORG_CLAIM)):
        raise OrgRejected(*NOT_FOUND)
    issuer = (
        User.objects.filter(pk=token[IMPERSONATOR_CLAIM])
        .only("is_active", "is_platform_admin", "two_factor_enabled_at")
        .first()
    )
    if issuer is None or not (issuer.is_active and issuer.is_platform_admin):
        raise OrgRejected(*TOKEN_INVALID)
    if platform_two_factor_blocks(issuer):
        raise OrgRejected(403, "two_factor_required", PLATFORM_TWO_FACTOR_REQUIRED)


def API_KEY_LIMIT() -> Limit:
    return Limit("api_key", settings.API_KEY_REQUESTS_PER_MINUTE, 60)


def record_impersonated_request(request: HttpRequest, resolved: OrgRequestContext, status_code: int) -> None:
    """Every request made with an impersonation token lands in the platform audit and the org's audit."""
    details = {"method": request.method, "path": request.path_info, "status": status_code}
    org, impersonator_id = resolved.org, resolved.impersonator_id
    assert impersonator_id is not None  # the middleware records only impersonated requests
    admin = User.objects.filter(pk=impersonator_id).first()
    # Both logs are public tables: writing them from inside the org's schema is fine.
    platform_audit_record(
        actor=admin, action="impersonated_request", org_id=org.pk, details=details, ip=client_ip(request)
    )
    audit_record(
        org=org,
        actor=resolved.profile,
        action="impersonated_request",
        details=details,
        ip=client_ip(request),
        impersonator_user_id=impersonator_id,
    )
