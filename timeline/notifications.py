"""Notifying members: an inbox entry for each recipient, and an email unless they opted out of that kind."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from common import registry
from common.models import Profile
from records.ports import NoticeDraft
from tenants.mail import email_send
from timeline.models import Notification, NotificationKind

EMAILED_KINDS = {NotificationKind.ASSIGNED, NotificationKind.MENTIONED, NotificationKind.CASE_ASSIGNED,
                 NotificationKind.TASK_DUE, NotificationKind.LISTING_INQUIRY, NotificationKind.CAMPAIGN_STATUS,
                 NotificationKind.CAMPAIGN_COMMENT, NotificationKind.BUDGET_EXCEEDED}  # fmt: skip
# Emailed by their own module in digests (saved-search matches: instant, daily or weekly), never one by one here;
# opting out of the kind stops the digests too.
DIGESTED_KINDS = {NotificationKind.LISTING_MATCH}


def notify_many(*, org: Any, actor: Profile | None, drafts: list[NoticeDraft]) -> list[Notification]:
    """Inbox entries for many records at once (a bulk write such as an import batch): one query for the
    recipients and one insert. Nobody is emailed once per record of a bulk write; the rules of `notify` on who
    is notified hold."""
    wanted = {pk for draft in drafts for pk in draft.recipient_ids if actor is None or pk != actor.pk}
    if not wanted:
        return []
    active = set(
        Profile.objects.filter(org=org, pk__in=wanted, is_active=True, removed_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                org=org, recipient_id=pk, kind=draft.kind, target_type=draft.target_type,
                target_id=draft.target_id, message=draft.message[:300], created_by=actor, updated_by=actor,
            )
            for draft in drafts
            for pk in dict.fromkeys(draft.recipient_ids)
            if pk in active and pk in wanted
        ]
    )  # fmt: skip
    for listener in registry.notification_listeners():
        listener(notifications)
    return notifications


def notify(
    *,
    org: Any,
    actor: Profile | None,
    recipient_ids: Iterable[uuid.UUID],
    kind: str,
    target_type: str,
    target_id: uuid.UUID,
    message: str,
    comment_id: uuid.UUID | None = None,
) -> list[Notification]:
    """Call inside the transaction of the change; emails go out after it commits. Nobody is notified of their
    own action, and only active members of the org are notified."""
    wanted = {pk for pk in recipient_ids if actor is None or pk != actor.pk}
    if not wanted:
        return []
    recipients = list(
        Profile.objects.filter(org=org, pk__in=wanted, is_active=True, removed_at__isnull=True).select_related(
            "user"
        )
    )
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                org=org, recipient=recipient, kind=kind, target_type=target_type, target_id=target_id,
                message=message[:300], created_by=actor, updated_by=actor, comment_id=comment_id,
            )
            for recipient in recipients
        ]
    )  # fmt: skip
    now = timezone.now()
    for notification, recipient in zip(notifications, recipients, strict=True):
        if kind in EMAILED_KINDS and kind not in recipient.user.email_opt_outs:
            email_send(
                to=recipient.user.email,
                template="notification",
                context={"org_name": org.name, "message": notification.message, "kind": kind},
                org_id=org.pk,
            )
            notification.emailed_at = now
    emailed = [n.pk for n in notifications if n.emailed_at]
    if emailed:
        Notification.objects.filter(pk__in=emailed).update(emailed_at=now)
    for listener in registry.notification_listeners():
        listener(notifications)
    return notifications
