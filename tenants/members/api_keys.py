"""Org API keys: created by admins with a role, shown once, stored hashed, found by their visible prefix.

A key acts as the member who created it, with the key's role capped at that member's current role; when that
member is deactivated or removed, their keys stop working (off-boarding a person off-boards their keys).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from common.errors import ApiError, NotFound
from common.models import Profile, Role
from tenants.models import ApiKey, Org

KEY_PREFIX = "ksk"
_LAST_USED_EVERY_SECONDS = 60


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    secret: str  # the whole key; shown once


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *, org: Org, actor: Profile, name: str, role: str, expires_at: datetime | None = None
) -> IssuedKey:
    if Role(role).rank > Role.ADMIN.rank:
        raise ApiError(
            "An API key can have at most the admin role.",
            code="role_not_allowed",
            fields={"role": [{"code": "role_not_allowed", "detail": "At most admin."}]},
        )
    if Role(role).rank > Role(actor.role).rank:
        raise ApiError(
            "You cannot create a key with a role above your own.",
            code="role_not_allowed",
            fields={"role": [{"code": "role_not_allowed", "detail": "Above your own role."}]},
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ApiError(
            "The expiry must be in the future.",
            code="invalid",
            fields={"expires_at": [{"code": "invalid", "detail": "Must be in the future."}]},
        )
    prefix = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        org=org,
        name=name.strip(),
        role=role,
        prefix=prefix,
        key_hash=_hash(secret),
        created_by=actor,
        expires_at=expires_at,
    )
    return IssuedKey(api_key=api_key, secret=secret)


def api_keys_of(org: Org):  # type: ignore[no-untyped-def]
    return ApiKey.objects.filter(org=org).select_related("created_by__user").order_by("-created_at")


def api_key_for_org(*, org: Org, key_id: object) -> ApiKey:
    api_key = api_keys_of(org).filter(pk=key_id).first()
    if api_key is None:
        raise NotFound()
    return api_key


@transaction.atomic
def api_key_revoke(*, org: Org, key_id: Any) -> ApiKey:
    api_key = ApiKey.objects.select_for_update().filter(org=org, pk=key_id).first()
    if api_key is None:
        raise NotFound()
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


class ApiKeyRejected(Exception):
    pass


def api_key_authenticate(raw: str) -> ApiKey:
    """The live key for this secret, with its org and creator loaded, or ApiKeyRejected."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise ApiKeyRejected
    api_key = (
        ApiKey.objects.select_related("org", "created_by__user", "created_by__org").filter(prefix=parts[1]).first()
    )
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash(raw)):
        raise ApiKeyRejected
    now = timezone.now()
    if api_key.revoked_at is not None or (api_key.expires_at is not None and api_key.expires_at <= now):
        raise ApiKeyRejected
    if cache.add(f"apikey:used:{api_key.pk}", 1, _LAST_USED_EVERY_SECONDS):
        # At most one write a minute per key: last_used_at is for humans, not an access log.
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
