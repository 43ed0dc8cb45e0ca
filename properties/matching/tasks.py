"""Celery tasks of saved-search matching: one event's matching, the sweep and the digests (both beat tasks, wired
into CELERY_BEAT_SCHEDULE by crm/settings)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import shared_task

from common.context import org_context, require_active_org
from properties.matching.digests import digests_send
from properties.matching.services import listing_event_match, unmatched_events_match
from tenants.models import Org, OrgStatus
from tenants.pipeline.tasks import OrgTask

logger = logging.getLogger("crm.matching")


@shared_task(base=OrgTask, name="properties.matching.match_event")
def match_listing_event(event_id: str) -> int:
    """Enqueued (after commit, in the listing's org) for each event properties.services records."""
    return listing_event_match(org=require_active_org(), event_id=event_id)


def _each_active_org(job: Callable[[Org], int], what: str) -> int:
    """The rare cross-org job: enters each active org in turn; one org failing does not starve the others."""
    done = 0
    for org in Org.objects.filter(status=OrgStatus.ACTIVE).order_by("pk"):
        try:
            with org_context(org):
                done += job(org)
        except Exception:
            logger.exception("%s failed for org %s", what, org.pk)
    return done


@shared_task(base=OrgTask, name="properties.matching.sweep")
def sweep() -> int:
    """The safety net: match events no job matched (a worker died, the broker lost the message)."""
    return _each_active_org(lambda org: unmatched_events_match(org=org), "the matching sweep")


@shared_task(base=OrgTask, name="properties.matching.digests")
def digests() -> int:
    """Daily and weekly digests that are due, in every active org; idempotent (see digests.py)."""
    return _each_active_org(lambda org: digests_send(org=org), "saved-search digests")
