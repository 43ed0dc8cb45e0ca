"""How the role matrix calls the webhook routes."""

from __future__ import annotations

from typing import Any

from tenants.testing.fixtures import Cast
from tenants.testing.matrix import Call


def _endpoint(cast: Cast) -> dict[str, Any]:
    from webhooks.tests import helpers as h

    return {"endpoint_id": h.endpoint(cast.org_a, "https://93.184.215.14/hook", ["contact.created"]).pk}


def _delivered(cast: Cast) -> dict[str, Any]:
    from common.context import org_context
    from webhooks.models import Delivery
    from webhooks.tests import helpers as h

    made = _endpoint(cast)
    h.contact_create(cast.org_a, cast.owner, "matrix-hook@example.test")
    with org_context(cast.org_a):
        delivery = Delivery.objects.get(endpoint_id=made["endpoint_id"])
        Delivery.objects.filter(pk=delivery.pk).update(state="failed")
    return {"delivery_id": delivery.pk}


def _made(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return made


MATRIX_SPECS = {
    "api:webhook-event-types": {"GET": Call()},
    "api:webhook-endpoints": {
        "GET": Call(),
        "POST": Call(status=201, body={"url": "https://93.184.215.14/new", "event_types": ["deal.won"]}),
    },
    "api:webhook-endpoint-detail": {
        "GET": Call(setup=_endpoint, kwargs=_made),
        "PATCH": Call(setup=_endpoint, kwargs=_made, body={"description": "Renamed"}),
        "DELETE": Call(status=204, setup=_endpoint, kwargs=_made),
    },
    "api:webhook-endpoint-rotate": {"POST": Call(setup=_endpoint, kwargs=_made)},
    "api:webhook-endpoint-test": {"POST": Call(status=202, setup=_endpoint, kwargs=_made)},
    "api:webhook-endpoint-deliveries": {"GET": Call(setup=_endpoint, kwargs=_made)},
    "api:webhook-delivery-detail": {"GET": Call(setup=_delivered, kwargs=_made)},
    "api:webhook-delivery-redeliver": {"POST": Call(status=202, setup=_delivered, kwargs=_made)},
}
