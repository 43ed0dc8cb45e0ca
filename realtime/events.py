"""Publishing to the per-org event stream: an event goes out after its transaction commits, with its audience
(who may receive it), and each socket delivers only what its member may see."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

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


def user_group(user_id: Any) -> str:
    return f"user.{user_id}"


def session_group(session_id: str) -> str:
    return f"session.{session_id}"


def admits(audience: dict[str, Any], *, profile_id: str, role: str) -> bool:
    """Whether a socket of this member may receive an event with this audience."""
    return bool(audience.get("everyone")) or role in audience["roles"] or profile_id in audience["profiles"]


_publisher: tuple[int, asyncio.AbstractEventLoop] | None = None
_publisher_lock = threading.Lock()


def _publisher_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process, on a thread of its own, that sends every live update: the request hands
    the message over and goes on (no new loop and Redis connection per event), and one process's events leave
    in the order they were published. Made again in a forked child."""
    global _publisher
    with _publisher_lock:
        if _publisher is None or _publisher[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="live-updates", daemon=True).start()
            _publisher = (os.getpid(), loop)
        return _publisher[1]


def _report_failure(future: Any) -> None:
    error = future.exception()
    if error is not None:  # a live update that cannot be sent never fails the change it reports
        logger.error("live update not sent", exc_info=error)


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), _publisher_loop())
    future.add_done_callback(_report_failure)


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


def close_session_sockets(user_id: Any, session_id: str | None) -> None:
    """Close every socket of this session, or with no session every socket of the user (after commit)."""
    group = session_group(session_id) if session_id else user_group(user_id)
    transaction.on_commit(lambda: _send(group, {"type": "session.ended"}))
