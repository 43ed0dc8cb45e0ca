"""Reads about the signed-in user: the orgs they belong to."""

from __future__ import annotations

from django.db.models import QuerySet

from common.models import Profile, User
from tenants.models import OrgStatus


def memberships_for_user(user: User) -> QuerySet[Profile]:
    """Every org the user belongs to (active or not), with the org loaded; the template is never one."""
    return (
        Profile.objects.filter(user=user)
        .exclude(org__status=OrgStatus.TEMPLATE)
        .select_related("org")
        .order_by("org__name")
    )
