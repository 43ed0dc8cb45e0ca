"""What widgets hear of every record change and notification: kept here for tests/test_registry.py to read."""

from typing import Any

from django.db import connection

HEARD: list[dict[str, Any]] = []


def activity_heard(entries: list[Any]) -> None:
    for entry in entries:
        HEARD.append(
            {"verb": entry.verb, "target_type": entry.target_type, "target_id": entry.target_id,
             "org": entry.org_id, "in_transaction": connection.in_atomic_block}
        )  # fmt: skip


def notifications_heard(notifications: list[Any]) -> None:
    HEARD.append({"notifications": [(n.recipient_id, n.kind) for n in notifications]})
