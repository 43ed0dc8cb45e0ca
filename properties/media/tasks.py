"""Celery tasks of listing media (autodiscovered as `properties.media.tasks`): thin calls into
properties.media.processing, in the org they were enqueued for."""

from __future__ import annotations

import logging

from celery import shared_task

from common.context import org_context, require_active_org
from properties.media import processing
from tenants.models import Org, OrgStatus
from tenants.pipeline.tasks import OrgTask

logger = logging.getLogger("crm.property_media")


@shared_task(base=OrgTask, name="properties.media.variants_make")
def variants_make(image_id: str) -> str:
    return processing.image_variants_make(org=require_active_org(), image_id=image_id)


@shared_task(base=OrgTask, name="properties.media.enhancement_submit")
def enhancement_submit(job_id: str) -> str:
    return processing.enhancement_submit(org=require_active_org(), job_id=job_id)


@shared_task(base=OrgTask, name="properties.media.enhancement_collect")
def enhancement_collect(job_id: str) -> str:
    return processing.enhancement_collect(org=require_active_org(), job_id=job_id)


@shared_task(base=OrgTask, name="properties.media.enhancement_timeouts")
def enhancement_timeouts() -> int:
    """Beat, every minute (CELERY_BEAT_SCHEDULE): the rare cross-org job, entering each active org in turn. One
    org failing does not starve the others; its jobs are swept on the next run."""
    timed_out = 0
    for org in Org.objects.filter(status=OrgStatus.ACTIVE).order_by("pk"):
        try:
            with org_context(org):
                timed_out += processing.enhancement_jobs_time_out(org=org)
        except Exception:
            logger.exception("enhancement timeouts failed for org %s", org.pk)
    return timed_out
