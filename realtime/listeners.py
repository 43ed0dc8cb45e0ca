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


def on_activity(entry: Any) -> None:
    model = registry.record_models().get(entry.target_type)
    if model is None:
        return
    record = (
        model.objects.for_org(entry.org).filter(pk=entry.target_id).only("pk", "created_by", "assigned_to").first()
    )
    if record is None:
        return
    data = {
        "id": str(entry.pk),
        "verb": entry.verb,
        "target_type": entry.target_type,
        "target_id": str(entry.target_id),
        "actor": str(entry.created_by_id) if entry.created_by_id else None,
        "changes": entry.changes,
        "created_at": entry.created_at.isoformat() if entry.created_at else None,
    }
    publish(entry.org_id, "timeline.entry", data, record_audience(model, record))


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
