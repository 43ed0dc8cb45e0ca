"""Who sees and who may change a business record, by role. The same rule on every route to a record."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from common.access import MANAGERS
from common.models import Profile, Role


def sees_everything(profile: Profile) -> bool:
    """Managers and above see every record; viewers read everything and write nothing."""
    return profile.role in MANAGERS or profile.role == Role.VIEWER


def visible_records(queryset: QuerySet[Any], profile: Profile) -> QuerySet[Any]:
    if sees_everything(profile) or getattr(queryset.model, "members_read_all", False):
        return queryset
    # Members: what they created or are assigned to.
    return queryset.filter(Q(created_by=profile) | Q(assigned_to__contains=[profile.pk]))


def may_write(profile: Profile, record: Any) -> bool:
    if profile.role == Role.VIEWER:
        return False
    if profile.role in MANAGERS:
        return True
    return record.created_by_id == profile.pk or profile.pk in (record.assigned_to or [])
