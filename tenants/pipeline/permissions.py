"""The one DRF permission: what the authorization table (common.registry) says for this route and method."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.request import Request

from common.access import Audience, RouteAccess, Scope
from common.errors import ApiError
from common.registry import route_access
from tenants.accounts.two_factor import PLATFORM_TWO_FACTOR_REQUIRED, platform_two_factor_blocks
from tenants.pipeline.context import org_request_or_none


def _access_for(request: Request) -> RouteAccess:
    match = request._request.resolver_match
    access = route_access(match.view_name) if match else None
    if access is None:
        # Fail closed: a route nobody described is a route nobody may use (the suite also refuses it).
        raise exceptions.PermissionDenied("This route is not in the authorization table.")
    return access


class RouteTablePermission(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        access = _access_for(request)
        allowed = access.allowed_for(request.method or "GET")
        if allowed is None:
            if request.method == "OPTIONS" or not hasattr(view, (request.method or "").lower()):
                return True  # DRF answers 405 for a method the view does not implement
            raise exceptions.PermissionDenied("This method is not in the authorization table.")

        user = request.user
        is_authenticated = bool(user and user.is_authenticated)
        if access.scope == Scope.PLATFORM:
            if not (is_authenticated and getattr(user, "is_platform_admin", False)):
                raise exceptions.NotFound()  # platform routes do not exist for anyone else
            if platform_two_factor_blocks(user):
                raise ApiError(PLATFORM_TWO_FACTOR_REQUIRED, code="two_factor_required", status_code=403)
            return True
        if allowed == Audience.ANYONE:
            return True
        if not is_authenticated:
            raise exceptions.NotAuthenticated()
        if allowed == Audience.AUTHENTICATED:
            return True
        resolved = org_request_or_none(request)
        if resolved is None or resolved.profile.role not in allowed:
            raise exceptions.PermissionDenied("Your role does not allow this action.")
        return True
