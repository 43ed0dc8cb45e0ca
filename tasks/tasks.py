"""Celery tasks of the tasks module (Celery autodiscovers this file as `tasks.tasks`)."""

from __future__ import annotations

import logging

from celery import shared_task

from common.context import org_context
from tasks.services import task_send_due_reminders
from tenants.models import Org, OrgStatus
from tenants.pipeline.tasks import OrgTask

logger = logging.getLogger("crm.tasks")

# Wired into CELERY_BEAT_SCHEDULE by crm/settings. Every 5 minutes: reminders cover the next hour, so a task is
# reminded 55 to 60 minutes ahead, or on the next run after it was created or moved inside that hour.
BEAT_SCHEDULE = {
    "send-task-due-reminders": {"task": "tasks.send_due_reminders", "schedule": 300.0},
}


@shared_task(base=OrgTask, name="tasks.send_due_reminders")
def send_due_reminders() -> int:
    """The rare cross-org job: enters each active org in turn. One org failing does not starve the others;
    its tasks are picked up by the next run (claims are committed per batch, so nothing is sent twice)."""
    reminded = 0
    for org in Org.objects.filter(status=OrgStatus.ACTIVE).order_by("pk"):
        try:
            with org_context(org):
                reminded += task_send_due_reminders(org=org)
        except Exception:
            logger.exception("due reminders failed for org %s", org.pk)
    return reminded
