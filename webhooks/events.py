"""Which events a change raises, and the outbox: the timeline calls `on_activity` inside the transaction of every
activity entry, so an event row exists exactly when the change it describes was committed."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from common import registry
from common.context import schema_connection
from webhooks.models import Delivery, Endpoint, Event

ACTIONS = ("created", "updated", "status_changed", "archived", "restored", "deleted")
TEST_EVENT = "webhook.test"
# Verbs that are an action of their own; every other verb on a record is an update (a status change when it
# moved the status).
_VERB_ACTIONS = {
    "created": "created",
    "status_changed": "status_changed",
    "stage_changed": "status_changed",
    "archived": "archived",
    "restored": "restored",
    "deleted": "deleted",
    "converted": "converted",
}
# Events beyond the six every record type has, by the record type that raises them.
_EXTRA_EVENTS = {
    "leads.lead": ("lead.converted",),
    "deals.deal": ("deal.won", "deal.lost"),
    "invoices.invoice": ("invoice.paid",),
    "emailing.emailsend": ("email_send.completed",),
}
_OBJECT_NAMES = {"emailing.emailsend": "email_send"}


def object_name(target_type: str) -> str:
    return _OBJECT_NAMES.get(target_type) or target_type.rpartition(".")[2]


def event_catalog() -> list[str]:
    """Every event type an endpoint may subscribe to, in a stable order."""
    names: list[str] = []
    for label in registry.record_models():
        names += [f"{object_name(label)}.{action}" for action in ACTIONS]
    for label, extras in _EXTRA_EVENTS.items():
        app_label, _, model = label.partition(".")
        if apps.is_installed(app_label) and _model_exists(app_label, model):
            names += extras
    return names


def _model_exists(app_label: str, model: str) -> bool:
    try:
        apps.get_model(app_label, model)
    except LookupError:
        return False
    return True


def _candidates(entry: Any) -> list[str]:
    """The event types this entry may raise (the snapshot decides between won and lost)."""
    name = object_name(entry.target_type)
    if entry.target_type == "emailing.emailsend":
        return ["email_send.completed"] if entry.verb == "send_completed" else []
    action = _VERB_ACTIONS.get(entry.verb)
    if action is None:
        action = "status_changed" if "status" in (entry.changes or {}) else "updated"
    found = [f"{name}.{action}"]
    status = (entry.changes or {}).get("status")
    if entry.target_type == "invoices.invoice" and isinstance(status, list) and status[-1:] == ["paid"]:
        found.append("invoice.paid")
    if entry.target_type == "deals.deal" and entry.verb in ("stage_changed", "created"):
        found += ["deal.won", "deal.lost"]
    return found


def _decided(entry: Any, types: list[str], record: dict[str, Any] | None) -> list[str]:
    if "deal.won" not in types:
        return types
    kept = [t for t in types if t not in ("deal.won", "deal.lost")]
    changes = entry.changes or {}
    closed_now = (
        record is not None
        and record.get("closed_at") is not None
        and ("closed_at" in changes or entry.verb == "created")
    )
    if closed_now and record is not None:
        # A loss always carries a reason; a win clears it (deals.services).
        kept.append("deal.lost" if record.get("lost_reason") else "deal.won")
    return kept


def _snapshot(entry: Any) -> dict[str, Any] | None:
    try:
        model = apps.get_model(entry.target_type)
    except (LookupError, ValueError):
        return None
    row = model.objects.for_org(entry.org).filter(pk=entry.target_id).values().first()
    if row is None:
        return None
    row.pop("org_id", None)
    loaded: dict[str, Any] = json.loads(json.dumps(row, cls=DjangoJSONEncoder))
    return loaded


def on_activity(entry: Any) -> None:
    """Write the events this entry raises for every active endpoint subscribed to them (nothing when none is)."""
    candidates = _candidates(entry)
    if not candidates:
        return
    endpoints = list(
        Endpoint.objects.for_org(entry.org)
        .filter(is_active=True, event_types__overlap=candidates)
        .only("id", "event_types")
    )
    if not endpoints:
        return
    record = _snapshot(entry)
    for event_type in _decided(entry, candidates, record):
        targets = [endpoint for endpoint in endpoints if event_type in endpoint.event_types]
        if not targets:
            continue
        payload = {
            "type": event_type,
            "timestamp": entry.created_at.isoformat(),
            "data": {
                "object": object_name(entry.target_type),
                "id": str(entry.target_id),
                "verb": entry.verb,
                "changes": entry.changes or {},
                "actor_id": str(entry.created_by_id) if entry.created_by_id else None,
                "record": record,
            },
        }
        event_write(org=entry.org, event_type=event_type, payload=payload, endpoints=targets)


def event_write(*, org: Any, event_type: str, payload: dict[str, Any], endpoints: list[Endpoint]) -> Event:
    """One outbox row and a delivery for each endpoint; the endpoints' workers are woken after commit."""
    event = Event.objects.create(org=org, event_type=event_type, payload=payload)
    Delivery.objects.bulk_create([Delivery(org=org, endpoint=endpoint, event=event) for endpoint in endpoints])
    for endpoint in endpoints:
        kick_after_commit(endpoint.pk)
    return event


@dataclass(frozen=True)
class _Kick:
    schema_name: str
    endpoint_id: uuid.UUID

    def __call__(self) -> None:
        from tenants.pipeline import tasks as pipeline
        from webhooks.tasks import deliver_endpoint

        pipeline.dispatch(deliver_endpoint, (str(self.endpoint_id),), {}, self.schema_name)


def kick_after_commit(endpoint_id: uuid.UUID) -> None:
    """Wake the endpoint's delivery once the transaction commits: once per transaction, however many events."""
    kick = _Kick(schema_connection.schema_name, endpoint_id)
    if connection.in_atomic_block and any(item[1] == kick for item in connection.run_on_commit):
        return
    transaction.on_commit(kick)
