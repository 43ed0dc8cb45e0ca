"""DRF authentication: reuse what the org pipeline resolved; on public routes, verify the bearer token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from common.access import Scope
from common.models import User
from common.registry import route_access
from common.tokens import IMPERSONATOR_CLAIM, TOKEN_VERSION_CLAIM, TokenError, decode_access
from tenants.accounts.sessions import session_is_revoked
from tenants.pipeline.context import org_request_or_none
from tenants.pipeline.credentials import bearer_token


def _token_invalid() -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed("The access token is invalid or has expired.", code="token_invalid")


def signed_in_user(request: Request) -> User:
    """The caller of a route that the authorization table keeps from anonymous callers."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()  # the route table refused anonymous callers already
    return user


def _is_platform_route(request: HttpRequest) -> bool:
    match = request.resolver_match
    access = route_access(match.view_name) if match else None
    return access is not None and access.scope == Scope.PLATFORM


class BearerTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, Any] | None:
        django_request: HttpRequest = request._request
        resolved = org_request_or_none(django_request)
        if resolved is not None:
            return resolved.profile.user, resolved.token

        raw = bearer_token(django_request)
        if raw is None:
            return None
        try:
            token = decode_access(raw)
        except TokenError:
            raise _token_invalid() from None
        if session_is_revoked(token):
            raise _token_invalid()
        if IMPERSONATOR_CLAIM in token:
            # Impersonation is for one org's tenant routes only: never sign-in, account or platform routes.
            # Platform routes do not exist for the impersonated member, so they get the platform's 404.
            if _is_platform_route(django_request):
                raise exceptions.NotFound()
            raise _token_invalid()
        user = User.objects.filter(pk=token["user_id"]).first()
        if user is None or not user.is_active or token.get(TOKEN_VERSION_CLAIM) != user.token_version:
            raise _token_invalid()
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


# drf-spectacular registers extensions in an unannotated __init_subclass__, an untyped call to strict mode.
class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """How the schema describes this authentication."""

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
