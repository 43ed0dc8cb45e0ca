"""Reads about an org's members; an id from a client becomes a member here, or a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from common.errors import NotFound
from common.models import Profile
from tenants.models import Org


def members_of(org: Org, *, include_removed: bool = False) -> QuerySet[Profile]:
    queryset = Profile.objects.filter(org=org).select_related("user")
    if not include_removed:
        queryset = queryset.filter(removed_at__isnull=True)
    return queryset.order_by("user__email")


def members_search(queryset: QuerySet[Profile], term: str) -> QuerySet[Profile]:
    return queryset.filter(Q(user__email__icontains=term) | Q(user__name__icontains=term))


def member_get(*, org: Org, profile_id: Any, for_update: bool = False) -> Profile:
    queryset = Profile.objects.filter(org=org, pk=profile_id).select_related("user")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        profile = queryset.first()
    except Exception:  # a malformed id is simply not found
        profile = None
    if profile is None:
        raise NotFound()
    return profile
