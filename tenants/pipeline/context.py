"""What the org pipeline resolved for a request, typed: the org, the acting member and how they signed in.

The middleware binds it to the request once; views read it through `OrgViewMixin.org` / `.actor` (or
`org_request(request)` where there is no view, as in a serializer), never through loose request attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.http import HttpRequest
from rest_framework.request import Request

from common.errors import ApiError
from common.models import Profile
from tenants.models import Org

_ATTRIBUTE = "_org_request"


@dataclass(frozen=True)
class OrgRequestContext:
    """The member acting on a tenant route, and the credential that made them so."""

    profile: Profile
    token: Any = None
    api_key: Any = None
    # The platform admin acting through an impersonation token, if any.
    impersonator_id: str | None = None

    @property
    def org(self) -> Org:
        return self.profile.org


class OrgRejected(ApiError):
    """The pipeline refused the caller (bad credential, no membership, suspended org...): one answer per case,
    whichever path (middleware or a public route that takes an API key) asked."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail, code=code, status_code=status)
        self.headers = headers or {}


def _django_request(request: HttpRequest | Request) -> HttpRequest:
    return request._request if isinstance(request, Request) else request


def bind_org_request(request: HttpRequest, resolved: OrgRequestContext) -> None:
    setattr(request, _ATTRIBUTE, resolved)


def org_request_or_none(request: HttpRequest | Request) -> OrgRequestContext | None:
    resolved = getattr(_django_request(request), _ATTRIBUTE, None)
    return resolved if isinstance(resolved, OrgRequestContext) else None


def org_request(request: HttpRequest | Request) -> OrgRequestContext:
    """The resolved context of a tenant route; a tenant route always has one (the middleware refused it
    otherwise), so its absence is a programming error, not a client's."""
    resolved = org_request_or_none(request)
    if resolved is None:
        raise RuntimeError("org_request() called on a route the org pipeline did not resolve (not a tenant route)")
    return resolved


class _TenantView(Protocol):
    """What the mixin needs of the view it is mixed into."""

    request: Request


# For views of tenant routes: the request's org and acting member, typed (PostHog's `team` mixin idea). No
# docstring on purpose: the schema generator would take it as the description of every view without one.
# `self` is typed by what the mixin needs rather than by a `request` attribute of its own, which would clash with
# Django's `View.request` (an HttpRequest) in every view that mixes it in.
class OrgViewMixin:
    @property
    def org(self: _TenantView) -> Org:
        return org_request(self.request).org

    @property
    def actor(self: _TenantView) -> Profile:
        return org_request(self.request).profile
