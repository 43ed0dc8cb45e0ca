"""Writing webhook endpoints (admins): create, change, enable, remove, rotate the secret; redeliver a
delivery and send a test event. Each write is one transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.errors import ApiError, field_error
from common.models import Profile
from tenants.models import Org
from webhooks import events, network
from webhooks.models import Delivery, DeliveryState, Endpoint, Event, new_signing_secret
from webhooks.selectors import delivery_of, endpoint_of


def _checked_url(url: str) -> str:
    try:
        network.check_url(url)
    except network.RefusedUrl as refused:
        raise field_error("url", "url_not_allowed", str(refused)) from None
    return url


def _checked_event_types(names: list[str]) -> list[str]:
    catalog = set(events.event_catalog())
    unknown = [name for name in names if name not in catalog]
    if unknown:
        raise field_error("event_types", "invalid_choice", f"Unknown event types: {', '.join(unknown)}.")
    if not names:
        raise field_error("event_types", "empty", "Choose at least one event type.")
    return sorted(set(names))


def endpoint_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> Endpoint:
    with transaction.atomic():
        if Endpoint.objects.for_org(org).count() >= settings.WEBHOOKS_MAX_ENDPOINTS_PER_ORG:
            raise ApiError(
                f"An org can have at most {settings.WEBHOOKS_MAX_ENDPOINTS_PER_ORG} webhook endpoints.",
                code="too_many_endpoints",
                status_code=409,
            )
        endpoint: Endpoint = Endpoint.objects.create(
            org=org,
            created_by=actor,
            updated_by=actor,
            url=_checked_url(data["url"]),
            description=data.get("description", ""),
            event_types=_checked_event_types(data["event_types"]),
        )
    return endpoint


def endpoint_update(*, org: Org, actor: Profile, endpoint_id: Any, data: dict[str, Any]) -> Endpoint:
    """Change the URL, description or events; `is_active` true enables it again (its failure clock restarts),
    false pauses it (pending deliveries wait)."""
    with transaction.atomic():
        endpoint = endpoint_of(org=org, endpoint_id=endpoint_id, lock=True)
        if "url" in data:
            endpoint.url = _checked_url(data["url"])
        if "description" in data:
            endpoint.description = data["description"]
        if "event_types" in data:
            endpoint.event_types = _checked_event_types(data["event_types"])
        if "is_active" in data and data["is_active"] != endpoint.is_active:
            endpoint.is_active = data["is_active"]
            if endpoint.is_active:
                endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
            else:
                endpoint.disabled_at, endpoint.disabled_reason = timezone.now(), "Disabled by an admin."
        endpoint.updated_by = actor
        endpoint.save()
        if endpoint.is_active:
            events.kick_after_commit(endpoint.pk)
    return endpoint


def endpoint_delete(*, org: Org, actor: Profile, endpoint_id: Any) -> None:
    """The endpoint, its deliveries and their log go; events other endpoints still deliver stay."""
    with transaction.atomic():
        endpoint = endpoint_of(org=org, endpoint_id=endpoint_id, lock=True)
        endpoint.delete()
        Event.objects.for_org(org).filter(deliveries__isnull=True).delete()


def endpoint_rotate_secret(*, org: Org, actor: Profile, endpoint_id: Any) -> Endpoint:
    """A new secret signs from now on; the old one signs too until the overlap ends, so receivers can switch."""
    with transaction.atomic():
        endpoint = endpoint_of(org=org, endpoint_id=endpoint_id, lock=True)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = timezone.now() + timedelta(
            seconds=settings.WEBHOOKS_SECRET_OVERLAP_SECONDS
        )
        endpoint.secret = new_signing_secret()
        endpoint.updated_by = actor
        endpoint.save()
    return endpoint


def endpoint_send_test(*, org: Org, actor: Profile, endpoint_id: Any) -> Delivery:
    """A `webhook.test` event for this endpoint only, queued behind what it already has."""
    with transaction.atomic():
        endpoint = endpoint_of(org=org, endpoint_id=endpoint_id)
        if not endpoint.is_active:
            raise ApiError("The endpoint is disabled. Enable it first.", code="endpoint_disabled", status_code=409)
        payload = {
            "type": events.TEST_EVENT,
            "timestamp": timezone.now().isoformat(),
            "data": {"endpoint_id": str(endpoint.pk), "sent_by": str(actor.pk)},
        }
        event = events.event_write(org=org, event_type=events.TEST_EVENT, payload=payload, endpoints=[endpoint])
        delivery: Delivery = Delivery.objects.for_org(org).get(event=event)
    return delivery


def delivery_redeliver(*, org: Org, actor: Profile, delivery_id: Any) -> Delivery:
    """The same event (same `webhook-id`, so receivers can tell) queued again for the same endpoint."""
    with transaction.atomic():
        original = delivery_of(org=org, delivery_id=delivery_id)
        if original.state == DeliveryState.PENDING:
            raise ApiError("This delivery is still pending.", code="delivery_pending", status_code=409)
        if not original.endpoint.is_active:
            raise ApiError("The endpoint is disabled. Enable it first.", code="endpoint_disabled", status_code=409)
        again: Delivery = Delivery.objects.create(org=org, endpoint=original.endpoint, event=original.event)
        events.kick_after_commit(original.endpoint_id)
    return again
