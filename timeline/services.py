"""Writing activity entries."""

from __future__ import annotations

import uuid
from typing import Any

from common.models import Profile
from tenants.models import Org
from timeline.models import ActivityEntry


def activity_record(
    *,
    org: Org,
    actor: Profile | None,
    verb: str,
    target_type: str,
    target_id: uuid.UUID,
    changes: dict[str, Any] | None = None,
) -> ActivityEntry:
    return ActivityEntry.objects.create(
        org=org,
        created_by=actor,
        updated_by=actor,
        verb=verb,
        target_type=target_type,
        target_id=target_id,
        changes=changes or {},
    )
