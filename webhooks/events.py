"""Which events a change raises, and the outbox: the timeline calls `on_activity` inside the transaction of every
activity entry, so an event row exists exactly when the change it describes was committed."""

from __future__ import annotations

import functools
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


@functools.cache
def _raising_types() -> frozenset[str]:
    """The target types whose entries can raise an event: the record types, and those with events of their own
    (a board's card, say, has a timeline but no events, so its entries cost no endpoint lookup)."""
    return frozenset(registry.record_models()) | frozenset(_EXTRA_EVENTS)


def _candidates(entry: Any) -> list[str]:
    """The event types this entry may raise (the snapshot decides between won and lost)."""
    if entry.target_type not in _raising_types():
        return []
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


def _snapshots(org: Any, entries: list[Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The records the entries are about, as JSON, by (target type, id): one query per record type."""
    ids_by_type: dict[str, set[Any]] = {}
    for entry in entries:
        ids_by_type.setdefault(entry.target_type, set()).add(entry.target_id)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for target_type, ids in ids_by_type.items():
        try:
            model = apps.get_model(target_type)
        except (LookupError, ValueError):
            continue
        for row in model.objects.for_org(org).filter(pk__in=ids).values():
            row.pop("org_id", None)
            found[(target_type, str(row["id"]))] = json.loads(json.dumps(row, cls=DjangoJSONEncoder))
    return found


def on_activity(entries: list[Any]) -> None:
    """Write the events these entries raise for every active endpoint subscribed to them (nothing when none is).
    One endpoint query and one snapshot query per record type, however many entries."""
    raised = [(entry, candidates) for entry in entries if (candidates := _candidates(entry))]
    if not raised:
        return
    org = raised[0][0].org
    wanted = sorted({event_type for _, candidates in raised for event_type in candidates})
    endpoints = list(
        Endpoint.objects.for_org(org).filter(is_active=True, event_types__overlap=wanted).only("id", "event_types")
    )
    if not endpoints:
        return
    records = _snapshots(org, [entry for entry, _ in raised])
    outbox: list[tuple[str, dict[str, Any], list[Endpoint]]] = []
    for entry, candidates in raised:
        record = records.get((entry.target_type, str(entry.target_id)))
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
            outbox.append((event_type, payload, targets))
    events_write(org=org, outbox=outbox)


def event_write(*, org: Any, event_type: str, payload: dict[str, Any], endpoints: list[Endpoint]) -> Event:
    """One outbox row and a delivery for each endpoint; the endpoints' workers are woken after commit."""
    return events_write(org=org, outbox=[(event_type, payload, endpoints)])[0]


def events_write(*, org: Any, outbox: list[tuple[str, dict[str, Any], list[Endpoint]]]) -> list[Event]:
    """Outbox rows (event type, payload, endpoints) and their deliveries in two statements, in this order (the
    ids are time-ordered, which is the delivery order per endpoint); each endpoint is woken once after commit."""
    events = Event.objects.bulk_create(
        [Event(org=org, event_type=event_type, payload=payload) for event_type, payload, _ in outbox]
    )
    Delivery.objects.bulk_create(
        [
            Delivery(org=org, endpoint=endpoint, event=event)
            for event, (_, _, endpoints) in zip(events, outbox, strict=True)
            for endpoint in endpoints
        ]
    )
    for endpoint_id in dict.fromkeys(endpoint.pk for _, _, endpoints in outbox for endpoint in endpoints):
        kick_after_commit(endpoint_id)
    return events


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
