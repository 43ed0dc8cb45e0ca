"""Reading activity entries."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from tenants.models import Org
from timeline.models import ActivityEntry


def activity_for_target(*, org: Org, target_type: str, target_id: uuid.UUID) -> QuerySet[ActivityEntry]:
    return ActivityEntry.objects.for_org(org).filter(target_type=target_type, target_id=target_id)
