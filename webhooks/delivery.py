"""Delivering an endpoint's queue in order: one worker at a time holds the endpoint's lease, sends the oldest
pending delivery, records the attempt, and either moves on (delivered, or failed after every retry) or waits for
the head's next retry. An endpoint failing for long enough is disabled and the org's admins are told."""

from __future__ import annotations

import enum
import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.models import Profile
from common.roles import Role
from records.ports import journal
from tenants.mail import email_send
from tenants.models import Org
from webhooks import network, signing
from webhooks.models import Attempt, Delivery, DeliveryState, Endpoint

USER_AGENT = "Keystone-Webhooks/1.0"


class Step(enum.Enum):
    BUSY = "busy"  # another worker holds the endpoint
    IDLE = "idle"  # nothing due
    WAIT = "wait"  # the head of the queue waits for its retry
    MORE = "more"  # the time budget ran out with work left


@dataclass(frozen=True)
class QueueRun:
    step: Step
    sent: int = 0
    wait_seconds: float = 0.0


def live_secrets(endpoint: Endpoint) -> list[str]:
    found = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > timezone.now():
        found.append(endpoint.previous_secret)
    return found


def request_for(endpoint: Endpoint, delivery: Delivery) -> tuple[bytes, dict[str, str]]:
    event = delivery.event
    body = json.dumps(event.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": event.webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(live_secrets(endpoint), event.webhook_id, timestamp, body),
    }
    return body, headers


def retry_delay(attempts: int, outcome: network.Outcome) -> float | None:
    """Seconds before the next try after `attempts` failed ones, or None when the schedule is spent. Jitter
    spreads a burst of retries; a 429 or a timeout waits twice as long (and at least its Retry-After)."""
    schedule = [int(step) for step in settings.WEBHOOKS_RETRY_SCHEDULE]
    if attempts > len(schedule):
        return None
    delay = schedule[attempts - 1] * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not a secret)
    if outcome.status_code == 429 or outcome.timed_out:
        delay = max(delay * 2, min(outcome.retry_after or 0.0, float(max(schedule))))
    return delay


def _claim(org: Org, endpoint_id: Any, token: uuid.UUID) -> bool:
    now = timezone.now()
    return bool(
        Endpoint.objects.for_org(org)
        .filter(pk=endpoint_id, is_active=True)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .update(lease_token=token, lease_expires_at=now + timedelta(seconds=settings.WEBHOOKS_LEASE_SECONDS))
    )


def _release(org: Org, endpoint_id: Any, token: uuid.UUID) -> None:
    Endpoint.objects.for_org(org).filter(pk=endpoint_id, lease_token=token).update(
        lease_token=None, lease_expires_at=None
    )


def _renew(org: Org, endpoint_id: Any, token: uuid.UUID) -> Endpoint | None:
    """The endpoint, if this worker still holds it and it is still active (its lease pushed further)."""
    lease = timezone.now() + timedelta(seconds=settings.WEBHOOKS_LEASE_SECONDS)
    held = (
        Endpoint.objects.for_org(org)
        .filter(pk=endpoint_id, lease_token=token, is_active=True)
        .update(lease_expires_at=lease)
    )
    if not held:
        return None
    return Endpoint.objects.for_org(org).get(pk=endpoint_id)


def next_pending(org: Org, endpoint_id: Any) -> Delivery | None:
    found: Delivery | None = (
        Delivery.objects.for_org(org)
        .filter(endpoint_id=endpoint_id, state=DeliveryState.PENDING)
        .select_related("event")
        .order_by("id")
        .first()
    )
    return found


def has_due_work(org: Org, endpoint_id: Any) -> bool:
    head = next_pending(org, endpoint_id)
    return head is not None and (head.next_attempt_at is None or head.next_attempt_at <= timezone.now())


def deliver_queue(*, org: Org, endpoint_id: Any, budget_seconds: float | None = None) -> QueueRun:
    token = uuid.uuid4()
    if not _claim(org, endpoint_id, token):
        return QueueRun(Step.BUSY)
    sent = 0
    deadline = time.monotonic() + (budget_seconds or settings.WEBHOOKS_BATCH_SECONDS)
    try:
        while time.monotonic() < deadline:
            endpoint = _renew(org, endpoint_id, token)
            if endpoint is None:
                return QueueRun(Step.IDLE, sent)
            delivery = next_pending(org, endpoint_id)
            if delivery is None:
                return QueueRun(Step.IDLE, sent)
            if delivery.next_attempt_at is not None:
                wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
                if wait > 0:
                    return QueueRun(Step.WAIT, sent, wait)
            attempt(org=org, endpoint=endpoint, delivery=delivery)
            sent += 1
        return QueueRun(Step.MORE, sent)
    finally:
        _release(org, endpoint_id, token)


def attempt(*, org: Org, endpoint: Endpoint, delivery: Delivery) -> Attempt:
    """One POST of the delivery, and its outcome recorded (the delivery, the log, the endpoint's health)."""
    body, headers = request_for(endpoint, delivery)
    outcome = network.post(endpoint.url, body, headers, timeout=float(settings.WEBHOOKS_TIMEOUT_SECONDS))
    now = timezone.now()
    with transaction.atomic():
        logged = Attempt.objects.create(
            org=org,
            delivery=delivery,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            response_body=outcome.body,
        )
        delivery.attempts += 1
        delivery.last_status = outcome.status_code
        delivery.last_error = outcome.error
        if outcome.ok:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = DeliveryState.DELIVERED, now, None
            Endpoint.objects.for_org(org).filter(pk=endpoint.pk).update(failing_since=None)
        else:
            delay = retry_delay(delivery.attempts, outcome)
            if delay is None:
                delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
            else:
                delivery.next_attempt_at = now + timedelta(seconds=delay)
            _record_failure(org, endpoint, now)
        delivery.save(
            update_fields=["attempts", "last_status", "last_error", "state", "delivered_at", "next_attempt_at",
                           "updated_at"]
        )  # fmt: skip
    return logged


def _record_failure(org: Org, endpoint: Endpoint, now: Any) -> None:
    Endpoint.objects.for_org(org).filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    failing_since = endpoint.failing_since or now
    if (now - failing_since).total_seconds() >= settings.WEBHOOKS_DISABLE_AFTER_SECONDS:
        endpoint_disable_for_failures(org=org, endpoint=endpoint, failing_since=failing_since)


def endpoint_disable_for_failures(*, org: Org, endpoint: Endpoint, failing_since: Any) -> None:
    reason = f"Every delivery failed since {failing_since:%Y-%m-%d %H:%M} UTC."
    updated = (
        Endpoint.objects.for_org(org)
        .filter(pk=endpoint.pk, is_active=True)
        .update(is_active=False, disabled_at=timezone.now(), disabled_reason=reason)
    )
    if not updated:
        return
    admins = list(
        Profile.objects.filter(
            org=org, role__in=(Role.OWNER, Role.ADMIN), is_active=True, removed_at__isnull=True
        ).select_related("user")
    )
    message = f"The webhook endpoint {endpoint.url} was disabled. {reason} Fix it, then enable it again."
    journal().notify(
        org=org,
        actor=None,
        recipient_ids=[admin.pk for admin in admins],
        kind="webhook_disabled",
        target_type="webhooks.endpoint",
        target_id=endpoint.pk,
        message=message,
    )
    for admin in admins:
        email_send(
            to=admin.user.email,
            template="notification",
            context={"org_name": org.name, "message": message, "kind": "webhook_disabled"},
            org_id=org.pk,
        )
