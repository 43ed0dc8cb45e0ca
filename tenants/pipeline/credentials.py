"""Who is calling a tenant route: the credential in the request, and the one API-key resolver every path uses.

An API key acts as the member who created it, with the key's role capped at that member's current one. The
key's org and its creator's membership are checked exactly as a signed-in member's are, so a suspended org,
a removed member or an inactive one gets the same answer on the API and on web-to-lead.
"""

from __future__ import annotations

import copy
import re
import uuid

from django.http import HttpRequest

from common.models import Profile, Role
from tenants.members.api_keys import ApiKeyRejected, api_key_authenticate
from tenants.models import ApiKey, OrgStatus
from tenants.pipeline.context import OrgRejected, OrgRequestContext

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_SERVED_STATUSES = (OrgStatus.ACTIVE, OrgStatus.SUSPENDED, OrgStatus.DELETING)

NOT_FOUND = (404, "org_not_found", "No such organisation, or you are not a member of it.")
TOKEN_INVALID = (401, "token_invalid", "The access token is invalid or has expired.")
API_KEY_INVALID = (401, "api_key_invalid", "The API key is invalid, revoked or expired.")


def _authorization(request: HttpRequest, wanted_scheme: str) -> str | None:
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != wanted_scheme or not raw.strip():
        return None
    return raw.strip()


def bearer_token(request: HttpRequest) -> str | None:
    return _authorization(request, "bearer")


def api_key_header(request: HttpRequest) -> str | None:
    return _authorization(request, "api-key")


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


def membership_check(profile: Profile) -> None:
    """A membership that may act in its org now: the org is served and active, the member neither removed
    nor deactivated. The one place that says what a suspended or deleting org answers."""
    status = profile.org.status
    if status not in _SERVED_STATUSES or profile.removed_at is not None:
        raise OrgRejected(*NOT_FOUND)
    if status == OrgStatus.SUSPENDED:
        raise OrgRejected(403, "org_suspended", "This organisation is suspended.")
    if status == OrgStatus.DELETING:
        raise OrgRejected(403, "org_deleting", "This organisation is scheduled for deletion.")
    if not profile.is_active:
        raise OrgRejected(403, "membership_inactive", "Your membership of this organisation is inactive.")


def api_key_find(raw_key: str) -> ApiKey:
    """The live key for this secret, or the 401 every path gives for a wrong, revoked or expired one."""
    try:
        return api_key_authenticate(raw_key)
    except ApiKeyRejected:
        raise OrgRejected(*API_KEY_INVALID) from None


def api_key_caller(api_key: ApiKey, org_header: str | None = None) -> OrgRequestContext:
    """The member a live key acts as, with the key's role capped at theirs. An `org` header, when given, must
    name the key's org (anything else is the 404 of an org one is not a member of)."""
    if org_header and org_header.strip().lower() not in (str(api_key.org_id), api_key.org.slug):
        raise OrgRejected(*NOT_FOUND)
    creator = api_key.created_by
    membership_check(creator)
    acting = copy.copy(creator)
    acting.role = Role.lesser(api_key.role, creator.role)
    return OrgRequestContext(profile=acting, api_key=api_key)
