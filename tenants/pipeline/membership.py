"""Resolve (user, org header) to the member's Profile in one query, or from a cache every change invalidates.

A cache entry remembers the generation tokens of its user and its org as they were before the database was
read. Any change to a user, a profile or an org replaces that user's or org's token after the transaction
commits, so the next request misses and reads the database again; a change is never served stale.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from common.models import Profile

_GENERATION_SECONDS = 24 * 3600


def _entry_key(user_id: str, org_key: str) -> str:
    return f"orgctx:{user_id}:{org_key}"


def _user_generation_key(user_id: Any) -> str:
    return f"orgctx:gen:user:{user_id}"


def _org_generation_key(org_id: Any) -> str:
    return f"orgctx:gen:org:{org_id}"


def _new_generation() -> str:
    return uuid.uuid4().hex[:16]


def _generation(key: str, known: dict[str, Any]) -> str:
    if key in known and known[key] is not None:
        return str(known[key])
    cache.add(key, _new_generation(), _GENERATION_SECONDS)
    return str(cache.get(key))


def load_membership(user_id: str, org_id: uuid.UUID | None, org_slug: str | None) -> Profile | None:
    """The Profile with its user and org, or None when there is no such org or no membership."""
    if org_id is not None:
        return _load_by_org_id(user_id, org_id)
    slug_key = f"orgctx:slug:{org_slug}"
    mapped_org_id = cache.get(slug_key)
    if mapped_org_id is not None:
        profile = _load_by_org_id(user_id, mapped_org_id)
        if profile is not None and profile.org.slug == org_slug:
            return profile
        cache.delete(slug_key)  # the slug was renamed or the org is gone: look it up afresh
    profile = _query().filter(user_id=user_id, org__slug=org_slug).first()
    if profile is not None:
        cache.set(slug_key, profile.org_id, settings.ORG_CONTEXT_CACHE_SECONDS)
    return profile


def _query() -> Any:
    return Profile.objects.select_related("user", "org")


def _load_by_org_id(user_id: str, org_id: Any) -> Profile | None:
    entry_key = _entry_key(user_id, str(org_id))
    user_key, org_key = _user_generation_key(user_id), _org_generation_key(org_id)
    found = cache.get_many([entry_key, user_key, org_key])
    entry = found.get(entry_key)
    if entry is not None and entry["user_gen"] == found.get(user_key) and entry["org_gen"] == found.get(org_key):
        return entry["profile"]

    # Read the generations before the database, so a change committed in between invalidates this entry.
    user_gen, org_gen = _generation(user_key, found), _generation(org_key, found)
    profile = _query().filter(user_id=user_id, org_id=org_id).first()
    if profile is not None:
        entry = {"profile": profile, "user_gen": user_gen, "org_gen": org_gen}
        cache.set(entry_key, entry, settings.ORG_CONTEXT_CACHE_SECONDS)
    return profile


def invalidate_user(user_id: Any) -> None:
    """Call after changing a user or one of its memberships (signals do it for model saves)."""
    transaction.on_commit(lambda: cache.set(_user_generation_key(user_id), _new_generation(), _GENERATION_SECONDS))


def invalidate_org(org_id: Any) -> None:
    """Call after changing an org (signals do it for model saves; `QuerySet.update` needs an explicit call)."""
    transaction.on_commit(lambda: cache.set(_org_generation_key(org_id), _new_generation(), _GENERATION_SECONDS))
