"""Celery tasks of outbound webhooks: an endpoint's queue, and the beat's sweep that picks up queues whose
worker died (a lease that lapsed) or whose head's retry is due."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from common.context import org_context, require_active_org, schema_connection
from tenants.models import Org, OrgStatus
from tenants.pipeline.tasks import OrgTask
from webhooks.delivery import Step, deliver_queue, has_due_work
from webhooks.models import Delivery, DeliveryState, Endpoint

logger = logging.getLogger("crm.webhooks")


def _headers() -> dict[str, str]:
    return {"_schema_name": schema_connection.schema_name}


@shared_task(base=OrgTask, name="webhooks.deliver_endpoint", time_limit=300, soft_time_limit=240)
def deliver_endpoint(endpoint_id: str) -> dict[str, Any]:
    """Deliver what is due on one endpoint, in order, then hand over to the next run: right away when the time
    budget ran out, at the head's retry time when it waits, never while another worker holds the endpoint."""
    org = require_active_org()
    run = deliver_queue(org=org, endpoint_id=endpoint_id)
    if run.step is Step.MORE:
        deliver_endpoint.apply_async(args=[endpoint_id], headers=_headers())
    elif run.step is Step.WAIT:
        deliver_endpoint.apply_async(args=[endpoint_id], countdown=run.wait_seconds, headers=_headers())
    elif run.step is Step.IDLE and has_due_work(org, endpoint_id):
        # An event committed after the last look but before the lease was let go: its own wake-up found the
        # endpoint busy, so this run hands it on.
        deliver_endpoint.apply_async(args=[endpoint_id], headers=_headers())
    return {"step": run.step.value, "sent": run.sent}


def sweep_org(*, org: Org) -> int:
    now = timezone.now()
    due = (
        Delivery.objects.for_org(org)
        .filter(state=DeliveryState.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .values("endpoint_id")
    )
    endpoints = (
        Endpoint.objects.for_org(org)
        .filter(is_active=True, pk__in=due)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .values_list("pk", flat=True)
    )
    count = 0
    for endpoint_id in endpoints:
        deliver_endpoint.apply_async(args=[str(endpoint_id)], headers=_headers())
        count += 1
    return count


@shared_task(base=OrgTask, name="webhooks.sweep")
def sweep() -> int:
    """Beat, every minute: wake every endpoint with due deliveries that no live worker holds."""
    total = 0
    for org in Org.objects.filter(status=OrgStatus.ACTIVE).order_by("pk"):
        try:
            with org_context(org):
                total += sweep_org(org=org)
        except Exception:
            logger.exception("webhook sweep failed for org %s", org.pk)
    return total
