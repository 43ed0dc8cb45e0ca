"""Celery tasks of AI copy (autodiscovered as `campaigns.ai.tasks`): running a job, and the beat reaper."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from campaigns.ai import generation
from common.context import org_context, require_active_org
from tenants.models import Org, OrgStatus
from tenants.pipeline.tasks import OrgTask

logger = logging.getLogger("crm.campaigns.ai")


# A run ends on its own within RUN_BUDGET_SHARE of AI_JOB_STALE_SECONDS (its provider calls are bounded to it);
# the time limits are the backstop, still short of the moment the reaper would take the job for a lost one.
@shared_task(
    base=OrgTask,
    name="campaigns.ai.run_generation_job",
    soft_time_limit=max(30, int(settings.AI_JOB_STALE_SECONDS * 0.9)),
    time_limit=max(35, int(settings.AI_JOB_STALE_SECONDS * 0.95)),
)
def run_generation_job(job_id: str) -> str:
    return generation.job_run(org=require_active_org(), job_id=job_id)


@shared_task(base=OrgTask, name="campaigns.ai.reap_stale_jobs")
def reap_stale_jobs() -> dict[str, int]:
    """Beat, every minute, over every active org: requeue or fail jobs whose worker was lost. One org failing
    does not stop the others."""
    totals = {"requeued": 0, "failed": 0, "resent": 0}
    for org in Org.objects.filter(status=OrgStatus.ACTIVE).order_by("pk"):
        try:
            with org_context(org):
                for key, value in generation.jobs_reap(org=org).items():
                    totals[key] += value
        except Exception:
            logger.exception("reaping AI jobs failed for org %s", org.pk)
    return totals
