"""Tasks follow the record they are about when it is merged into another (called by contacts.services)."""

from __future__ import annotations

from django.db import transaction

from common.models import Profile, RecordModel
from records import services as records
from tasks.models import Task
from tenants.models import Org


def task_references_move(*, org: Org, actor: Profile, gone: RecordModel, kept: RecordModel) -> int:
    """Every task about `gone` (finished and archived ones too) is about `kept` instead, each change on the
    task's timeline. Returns how many tasks moved."""
    related_type = records.target_type(gone)
    moved = 0
    with transaction.atomic():
        for task in (
            Task.objects.for_org(org).filter(related_type=related_type, related_id=gone.pk).select_for_update()
        ):
            records.apply_changes(task, actor, {"related_id": kept.pk})
            moved += 1
    return moved
