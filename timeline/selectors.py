"""Reading activity entries."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from tenants.models import Org
from timeline.models import ActivityEntry


def activity_for_target(*, org: Org, target_type: str, target_id: uuid.UUID) -> QuerySet[ActivityEntry]:
    return ActivityEntry.objects.for_org(org).filter(target_type=target_type, target_id=target_id)


def timeline_for(record: Any, limit: int = 200) -> list[dict[str, Any]]:
    """Everything about one record, newest first. Activity only for now; comments and attachments join here."""
    entries = ActivityEntry.objects.for_org(record.org_id).filter(
        target_type=record._meta.label_lower, target_id=record.pk
    )[:limit]
    return [
        {
            "kind": "activity",
            "id": entry.pk,
            "verb": entry.verb,
            "changes": entry.changes,
            "actor_id": entry.created_by_id,
            "created_at": entry.created_at,
        }
        for entry in entries
    ]
