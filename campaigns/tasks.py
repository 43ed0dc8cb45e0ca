"""Celery tasks of the campaigns module (Celery autodiscovers this file as `campaigns.tasks`)."""

from __future__ import annotations

import logging

from celery import shared_task

from campaigns.services import campaigns_advance_schedules
from common.context import org_context
from tenants.models import Org, OrgStatus
from tenants.pipeline.tasks import OrgTask

logger = logging.getLogger("crm.campaigns")


@shared_task(base=OrgTask, name="campaigns.advance_schedules")
def advance_schedules() -> int:
    """Beat, every minute (CELERY_BEAT_SCHEDULE): in each active org, scheduled campaigns whose start has come
    become active and active ones whose end has come become completed. One org failing does not starve the
    others; what it missed moves on the next run."""
    moved = 0
    for org in Org.objects.filter(status=OrgStatus.ACTIVE).order_by("pk"):
        try:
            with org_context(org):
                moved += campaigns_advance_schedules(org=org)
        except Exception:
            logger.exception("campaign schedules failed for org %s", org.pk)
    return moved
