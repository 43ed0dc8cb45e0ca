"""Tasks: the related-record link, completion and due-date bookkeeping, and due reminders.

- `related_type` + `related_id` name one record of the org that the actor can see (and that is not archived);
  anything else, another org's record included, is the same 400 `does_not_exist` on `related_id`.
- `completed_at` is set when a task becomes done and cleared when it leaves done (reopened or cancelled).
- Changing `due_at` clears `reminder_sent_at`, so the new due time gets its own reminder.
- Reminders: a task that is open, due within the next hour (or already overdue) and not yet reminded is
  claimed (row lock, skipping rows another run holds), marked and notified in one transaction: each task is
  reminded once, across retries and concurrent runs. Its assignees are notified, or its creator when nobody is
  assigned.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.db import transaction
from django.utils import timezone

from common import registry
from common.errors import field_error
from common.models import Profile
from records import services as records
from records.visibility import visible_records
from tasks.models import OPEN_STATUSES, Task, TaskStatus
from tenants.models import Org

REMINDER_WINDOW = datetime.timedelta(hours=1)
REMINDER_BATCH = 200


def org_zone(org: Org) -> zoneinfo.ZoneInfo:
    """The org's time zone; UTC if the stored name is unknown (it is validated when set, so only by accident)."""
    try:
        return zoneinfo.ZoneInfo(org.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def task_related_check(*, org: Org, actor: Profile, related_type: str, related_id: Any) -> None:
    """Both or neither; and the record must exist in this org, be visible to the actor and not be archived."""
    if not related_type and related_id is None:
        return
    if not related_type:
        raise field_error("related_type", "required", "Say what kind of record related_id is.")
    if related_id is None:
        raise field_error("related_id", "required", "Give the id of the related record.")
    model = registry.record_models().get(related_type)  # a record type that is not installed holds no records
    queryset = None if model is None else visible_records(model.objects.for_org(org), actor)
    if queryset is None or not queryset.filter(pk=related_id, archived_at__isnull=True).exists():
        # Worded like OrgScopedRelatedField: another org's id and a random one cannot be told apart.
        raise field_error("related_id", "does_not_exist", f'Invalid pk "{related_id}" - object does not exist.')


def _status_stamps(old_status: str | None, new_status: str, now: datetime.datetime) -> dict[str, Any]:
    if old_status == new_status:
        return {}
    if new_status == TaskStatus.DONE:
        return {"completed_at": now}
    return {"completed_at": None} if old_status == TaskStatus.DONE else {}


def task_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> Task:
    with transaction.atomic():
        task_related_check(
            org=org, actor=actor, related_type=data.get("related_type", ""), related_id=data.get("related_id")
        )
        data = {**data, **_status_stamps(None, data.get("status", TaskStatus.TODO), timezone.now())}
        return records.record_create(model=Task, org=org, actor=actor, data=data)


def task_change(*, org: Org, actor: Profile, record: Task, data: dict[str, Any]) -> None:
    """The task rules on a locked task (a PATCH or one task of a bulk): a new link must name a visible record,
    completing stamps `completed_at` and reopening clears it, a new due time re-arms the reminder."""
    task = record
    related = (data.get("related_type", task.related_type), data.get("related_id", task.related_id))
    if related != (task.related_type, task.related_id):
        task_related_check(org=org, actor=actor, related_type=related[0], related_id=related[1])
    derived = _status_stamps(task.status, data["status"], timezone.now()) if "status" in data else {}
    if "due_at" in data and data["due_at"] != task.due_at:
        derived["reminder_sent_at"] = None
    records.apply_changes(task, actor, {**data, **derived})


def task_update(
    *, org: Org, actor: Profile, record_id: Any, data: dict[str, Any], if_match: str | None = None
) -> Task:
    return records.record_update(
        model=Task, org=org, actor=actor, record_id=record_id, data=data, if_match=if_match, change=task_change
    )


def reassign_open_records(org: Org, from_profile: Profile, to_profile: Profile) -> int:
    """For member removal: hand the member's open tasks to another member: those assigned to them, and the
    unassigned ones they created (whose reminders would otherwise go to nobody). Finished tasks stay as they
    were."""
    moved = 0
    with transaction.atomic():
        open_tasks = Task.objects.for_org(org).filter(
            records.held_by(from_profile), archived_at__isnull=True, status__in=OPEN_STATUSES
        )
        for task in open_tasks.select_for_update():
            assignees = records.assignees_handed_over(task.assigned_to, from_profile, to_profile)
            records.apply_changes(task, to_profile, {"assigned_to": assignees})
            moved += 1
    return moved


# --- Due reminders ------------------------------------------------------------------------------------------


def _reminder_message(task: Task, org: Org, now: datetime.datetime) -> str:
    zone = org_zone(org)
    when = f"{timezone.localtime(task.due_at, zone):%Y-%m-%d %H:%M} ({zone.key})"
    if task.due_at is not None and task.due_at <= now:
        return f'Overdue task: "{task.title}" was due {when}.'
    return f'Task due soon: "{task.title}" is due {when}.'


def _remind_one_batch(org: Org, now: datetime.datetime) -> int:
    from timeline.models import NotificationKind
    from timeline.notifications import notify

    with transaction.atomic():
        claimed = list(
            Task.objects.for_org(org)
            .filter(
                archived_at__isnull=True,
                reminder_sent_at__isnull=True,
                status__in=OPEN_STATUSES,
                due_at__lte=now + REMINDER_WINDOW,
            )
            .order_by("due_at", "id")
            .select_for_update(skip_locked=True)[:REMINDER_BATCH]
        )
        if not claimed:
            return 0
        # A plain UPDATE: the reminder is bookkeeping, so it leaves updated_at (and the record's ETag) alone.
        Task.objects.for_org(org).filter(pk__in=[task.pk for task in claimed]).update(reminder_sent_at=now)
        for task in claimed:
            recipients = task.assigned_to or ([task.created_by_id] if task.created_by_id else [])
            notify(
                org=org,
                actor=None,
                recipient_ids=recipients,
                kind=NotificationKind.TASK_DUE,
                target_type=records.target_type(Task),
                target_id=task.pk,
                message=_reminder_message(task, org, now),
            )
    return len(claimed)


def task_send_due_reminders(*, org: Org, now: datetime.datetime | None = None) -> int:
    """Remind the org's tasks that are due within the hour or overdue; returns how many were reminded."""
    now = now or timezone.now()
    reminded = 0
    while True:
        batch = _remind_one_batch(org, now)
        reminded += batch
        if batch < REMINDER_BATCH:
            return reminded
