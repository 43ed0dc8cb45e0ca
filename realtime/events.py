"""Publishing to the per-org event stream: an event goes out after its transaction commits, with its audience
(who may receive it), and each socket delivers only what its member may see."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger("crm.realtime")


@dataclass(frozen=True)
class Audience:
    """Who receives an event: members with one of `roles`, and the members listed in `profiles`. Everyone in
    the org when `everyone`."""

    everyone: bool = False
    roles: frozenset[str] = frozenset()
    profiles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, *, roles: Iterable[str] = (), profiles: Iterable[Any] = ()) -> Audience:
        return cls(roles=frozenset(map(str, roles)), profiles=frozenset(str(pk) for pk in profiles if pk))

    def as_message(self) -> dict[str, Any]:
        return {"everyone": self.everyone, "roles": sorted(self.roles), "profiles": sorted(self.profiles)}


EVERYONE = Audience(everyone=True)


def org_group(org_id: Any) -> str:
    return f"org.{org_id}"


def member_group(profile_id: Any) -> str:
    return f"member.{profile_id}"


def admits(audience: dict[str, Any], *, profile_id: str, role: str) -> bool:
    """Whether a socket of this member may receive an event with this audience."""
    return bool(audience.get("everyone")) or role in audience["roles"] or profile_id in audience["profiles"]


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # a live update that cannot be sent never fails the change it reports
        logger.exception("live update not sent", extra={"group": group})


def publish(org_id: Any, event: str, data: dict[str, Any], audience: Audience) -> None:
    """Send `event` to the org's sockets whose member the audience admits, once the transaction commits."""
    message = {
        "type": "org.event",
        "event": event,
        "data": data,
        "audience": audience.as_message(),
        "sent_at": time.time(),
    }
    transaction.on_commit(lambda: _send(org_group(org_id), message))


def close_member_sockets(profile_id: Any) -> None:
    """Close every socket of this membership (after commit): it reconnects, and is authenticated again."""
    transaction.on_commit(lambda: _send(member_group(profile_id), {"type": "membership.changed"}))
