"""What feeds the event stream from the rest of the product: every activity entry and notification the timeline
writes (through the registry's listeners), and membership changes and ended sessions, which close sockets."""

from __future__ import annotations

from typing import Any

from common import registry
from common.access import MANAGERS
from common.models import Profile, Role
from realtime.events import EVERYONE, Audience, close_member_sockets, close_session_sockets, publish

# Who sees every record of a type (records.visibility.sees_everything): managers and above, and viewers.
_SEE_ALL = MANAGERS | {Role.VIEWER}


def record_audience(model: Any, record: Any) -> Audience:
    """The members who may see this record: the same rule as records.visibility, as an audience."""
    if getattr(model, "members_read_all", False):
        return EVERYONE
    return Audience.of(roles=_SEE_ALL, profiles=[record.created_by_id, *(record.assigned_to or [])])


def on_activity(entries: list[Any]) -> None:
    """Each entry to the members who may see its record; the records are read once per record type."""
    by_type: dict[str, list[Any]] = {}
    for entry in entries:
        by_type.setdefault(entry.target_type, []).append(entry)
    for target_type, entries_of_type in by_type.items():
        model = registry.record_models().get(target_type)
        if model is None:
            continue
        org = entries_of_type[0].org
        records = model.objects.for_org(org).filter(pk__in={entry.target_id for entry in entries_of_type})
        audiences = {
            record.pk: record_audience(model, record) for record in records.only("pk", "created_by", "assigned_to")
        }
        for entry in entries_of_type:
            if entry.target_id in audiences:
                publish(entry.org_id, "timeline.entry", _entry_data(entry), audiences[entry.target_id])


def _entry_data(entry: Any) -> dict[str, Any]:
    return {
        "id": str(entry.pk),
        "verb": entry.verb,
        "target_type": entry.target_type,
        "target_id": str(entry.target_id),
        "actor": str(entry.created_by_id) if entry.created_by_id else None,
        "changes": entry.changes,
        "created_at": entry.created_at.isoformat() if entry.created_at else None,
    }


def on_notifications(notifications: list[Any]) -> None:
    for notification in notifications:
        data = {
            "id": str(notification.pk),
            "kind": notification.kind,
            "target_type": notification.target_type,
            "target_id": str(notification.target_id),
            "message": notification.message,
        }
        publish(notification.org_id, "notification", data, Audience.of(profiles=[notification.recipient_id]))


def on_membership_changed(profile: Profile) -> None:
    close_member_sockets(profile.pk)


def on_session_ended(user_id: str, session_id: str | None) -> None:
    close_session_sockets(user_id, session_id)
