"""Reading webhook endpoints, deliveries and their attempts; a missing id and another org's are the same 404."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch, QuerySet

from common.errors import NotFound
from tenants.models import Org
from webhooks.models import Attempt, Delivery, Endpoint


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def endpoints_of(*, org: Org) -> QuerySet[Endpoint]:
    return Endpoint.objects.for_org(org).order_by("created_at", "id")


def endpoint_of(*, org: Org, endpoint_id: Any, lock: bool = False) -> Endpoint:
    rows = Endpoint.objects.for_org(org)
    if lock:
        rows = rows.select_for_update()
    found: Endpoint | None = rows.filter(pk=_uuid(endpoint_id)).first()
    if found is None:
        raise NotFound()
    return found


def deliveries_of(*, org: Org, endpoint: Endpoint, state: str | None = None) -> QuerySet[Delivery]:
    rows = (
        Delivery.objects.for_org(org)
        .filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("attempt_log", queryset=Attempt.objects.for_org(org).order_by("id")))
        .order_by("-id")
    )
    if state:
        rows = rows.filter(state=state)
    return rows


def delivery_of(*, org: Org, delivery_id: Any) -> Delivery:
    found: Delivery | None = (
        Delivery.objects.for_org(org)
        .select_related("event", "endpoint")
        .prefetch_related(Prefetch("attempt_log", queryset=Attempt.objects.for_org(org).order_by("id")))
        .filter(pk=_uuid(delivery_id))
        .first()
    )
    if found is None:
        raise NotFound()
    return found
