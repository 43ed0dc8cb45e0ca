"""Writing the timeline: activity entries, comments with @mentions, attachments, reading notifications and
the email opt-outs. Each write is one transaction; the record it is about must be visible to the actor."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import status

from common import registry
from common.access import ADMINS
from common.errors import ApiError, Conflict, NotFound
from common.models import Profile, RecordModel, User
from records import services as records
from records.ports import ActivityDraft
from tenants.models import Org
from timeline import markdown, uploads
from timeline.models import ActivityEntry, Attachment, Comment, Notification, NotificationKind
from timeline.notifications import notify
from timeline.selectors import does_not_exist, may_contribute, target_get, visible_target, visible_to

COMMENT_MAX_CHARS = 10_000
MENTIONS_MAX = 20
COMMENT_FILES_MAX = 10


def activity_record(
    *,
    org: Org,
    actor: Profile | None,
    verb: str,
    target_type: str,
    target_id: uuid.UUID,
    changes: dict[str, Any] | None = None,
) -> ActivityEntry:
    entry = ActivityEntry.objects.create(
        org=org,
        created_by=actor,
        updated_by=actor,
        verb=verb,
        target_type=target_type,
        target_id=target_id,
        changes=changes or {},
    )
    for listener in registry.activity_listeners():
        listener([entry])
    return entry


def activity_record_many(*, org: Org, actor: Profile | None, drafts: list[ActivityDraft]) -> list[ActivityEntry]:
    """Many entries in one statement, and the listeners told once: what a bulk write (an import batch) logs."""
    entries = ActivityEntry.objects.bulk_create(
        [
            ActivityEntry(
                org=org, created_by=actor, updated_by=actor, verb=draft.verb, target_type=draft.target_type,
                target_id=draft.target_id, changes=draft.changes or {},
            )
            for draft in drafts
        ]
    )  # fmt: skip
    if entries:
        for listener in registry.activity_listeners():
            listener(entries)
    return entries


# --- Comments ---------------------------------------------------------------------------------------------


def _body_error(detail: str, code: str) -> ApiError:
    return ApiError(detail, code=code, fields={"body": [{"code": code, "detail": detail}]})


def _refuse_archived(target: RecordModel) -> None:
    if target.archived_at is not None:
        raise Conflict(f"This {target._meta.verbose_name} is archived. Restore it first.", code="archived")


def _contributable(actor: Profile, target: RecordModel) -> None:
    """Seeing is not always contributing: a board's viewer reads a card's comments but writes none."""
    if not may_contribute(actor, target):
        raise _forbidden(f"Your role does not allow comments or files on this {target._meta.verbose_name}.")


def _clean_body(body: str) -> str:
    if len(body) > COMMENT_MAX_CHARS:
        raise _body_error(f"Ensure this field has no more than {COMMENT_MAX_CHARS} characters.", "max_length")
    cleaned = markdown.sanitize_markdown(body).strip()
    if not cleaned:
        raise _body_error("The comment is empty (HTML is removed from comments).", "blank")
    return cleaned


def _who(profile: Profile) -> str:
    return profile.user.name or profile.user.email


def _checked_mentions(org: Org, target: RecordModel, body: str) -> list[uuid.UUID]:
    """Mentioned profiles must be active members of this org (anything else is `does_not_exist`, exactly as
    for a random id) who can see the record: a mention must not hand out a record someone may not open."""
    ids = markdown.mentioned_ids(body)
    if len(ids) > MENTIONS_MAX:
        raise _body_error(f"Mention at most {MENTIONS_MAX} people in one comment.", "too_many_mentions")
    members = {
        profile.pk: profile
        for profile in Profile.objects.filter(
            org=org, pk__in=ids, is_active=True, removed_at__isnull=True
        ).select_related("user")
    }
    for pk in ids:
        if pk not in members:
            raise _body_error(f'Invalid pk "{pk}" - object does not exist.', "does_not_exist")
    queryset = type(target).objects.for_org(org).filter(pk=target.pk)
    for pk in ids:
        member = members[pk]
        if not visible_to(queryset, member).exists():
            raise _body_error(
                f"{_who(member)} cannot see this {target._meta.verbose_name}. Assign them to it first, or "
                "mention someone who can see it.",
                "mention_cannot_see_target",
            )
    return ids


def _notify_mentioned(
    org: Org, actor: Profile, target: RecordModel, comment: Comment, recipient_ids: list[uuid.UUID]
) -> None:
    if not recipient_ids:
        return
    notify(
        org=org,
        actor=actor,
        recipient_ids=recipient_ids,
        kind=NotificationKind.MENTIONED,
        target_type=records.target_type(target),
        target_id=target.pk,
        message=f"{_who(actor)} mentioned you on the {target._meta.verbose_name} {target}: "
        f"{markdown.plain_excerpt(comment.body)}",
        comment_id=comment.pk,
    )


def _thread_parent(org: Org, target: RecordModel, parent_id: Any) -> Comment | None:
    """Replies are one level deep: a reply to a reply joins the same thread. The parent must be a comment on
    the same record; any other id, another org's included, is `does_not_exist`."""
    if parent_id is None:
        return None
    parent = (
        Comment.objects.for_org(org)
        .filter(pk=parent_id, target_type=records.target_type(target), target_id=target.pk)
        .select_related("parent")
        .first()
    )
    if parent is None:
        raise does_not_exist("parent", parent_id)
    return parent.parent or parent


def _comment_files(org: Org, actor: Profile, target: RecordModel, attachment_ids: Any) -> list[Attachment]:
    """The files a new comment carries: attachments already on the same record, uploaded by the same author and
    not carried by another comment. Any other id, another org's included, is `does_not_exist`."""
    ids = list(dict.fromkeys(attachment_ids or []))
    if len(ids) > COMMENT_FILES_MAX:
        detail = f"A comment carries at most {COMMENT_FILES_MAX} files."
        raise ApiError(
            detail, code="max_length", fields={"attachment_ids": [{"code": "max_length", "detail": detail}]}
        )
    if not ids:
        return []
    found = {
        attachment.pk: attachment
        for attachment in Attachment.objects.for_org(org)
        .select_for_update()
        .filter(pk__in=ids, target_type=records.target_type(target), target_id=target.pk, created_by=actor,
                comment__isnull=True)
    }  # fmt: skip
    for pk in ids:
        if pk not in found:
            raise does_not_exist("attachment_ids", pk)
    return [found[pk] for pk in ids]


def comment_create(
    *,
    org: Org,
    actor: Profile,
    target_type: str,
    target_id: Any,
    body: str,
    parent_id: Any = None,
    attachment_ids: Any = None,
) -> Comment:
    """A comment or a reply, carrying `attachment_ids` (files the author attached to the record before); the
    module of the record hears of it through its registry `comment_listener`, in this transaction."""
    with transaction.atomic():
        target = target_get(org=org, actor=actor, target_type=target_type, target_id=target_id)
        _refuse_archived(target)
        _contributable(actor, target)
        cleaned = _clean_body(body)
        parent = _thread_parent(org, target, parent_id)
        mentions = _checked_mentions(org, target, cleaned)
        files = _comment_files(org, actor, target, attachment_ids)
        comment = Comment(
            org=org, created_by=actor, updated_by=actor, target_type=records.target_type(target),
            target_id=target.pk, parent=parent, body=cleaned, mentions=mentions,
        )  # fmt: skip
        comment.save()
        if files:
            Attachment.objects.for_org(org).filter(pk__in=[file.pk for file in files]).update(comment=comment)
        changes: dict[str, Any] = {"comment_id": str(comment.pk)}
        if parent is not None:
            changes["parent_id"] = str(parent.pk)
        if files:
            changes["attachment_ids"] = [str(file.pk) for file in files]
        records.log_activity(target, actor, "commented", changes)
        _notify_mentioned(org, actor, target, comment, mentions)
        listener = registry.comment_listener_of(comment.target_type)
        if listener is not None:
            listener(org=org, actor=actor, target=target, comment=comment)
    return comment


def _locked_comment(org: Org, actor: Profile, comment_id: Any) -> tuple[Comment, RecordModel]:
    comment = Comment.objects.for_org(org).select_for_update().filter(pk=comment_id).first()
    if comment is None:
        raise NotFound()
    target = visible_target(org=org, actor=actor, target_type=comment.target_type, target_id=comment.target_id)
    if target is None:
        raise NotFound()
    return comment, target


def _forbidden(detail: str) -> ApiError:
    return ApiError(detail, code="permission_denied", status_code=status.HTTP_403_FORBIDDEN)


def comment_update(
    *, org: Org, actor: Profile, comment_id: Any, body: str, if_match: str | None = None
) -> Comment:
    """Only the author edits a comment (an admin may delete someone else's, never put words in their mouth).
    Newly mentioned members are notified; those mentioned before are not notified again."""
    with transaction.atomic():
        comment, target = _locked_comment(org, actor, comment_id)
        if comment.created_by_id != actor.pk:
            raise _forbidden("Only the author can edit a comment.")
        if comment.is_deleted:
            raise Conflict("This comment was deleted.", code="deleted")
        records.if_match_check(
            comment,
            if_match,
            detail="The comment changed since you loaded it. Reload it and apply your change again.",
        )
        _refuse_archived(target)
        _contributable(actor, target)
        cleaned = _clean_body(body)
        if cleaned == comment.body:
            return comment
        mentions = _checked_mentions(org, target, cleaned)
        newly_mentioned = [pk for pk in mentions if pk not in set(comment.mentions)]
        comment.body, comment.mentions = cleaned, mentions
        comment.edited_at, comment.updated_by = timezone.now(), actor
        comment.save()
        _notify_mentioned(org, actor, target, comment, newly_mentioned)
    return comment


def comment_delete(*, org: Org, actor: Profile, comment_id: Any) -> Comment:
    """Soft: the text and mentions are wiped (and taken out of the mention notifications), the row stays so
    replies keep their thread. Authors delete their own comments; owners and admins any."""
    with transaction.atomic():
        comment, target = _locked_comment(org, actor, comment_id)
        if comment.created_by_id != actor.pk and actor.role not in ADMINS:
            raise _forbidden("Only the author or an admin can delete a comment.")
        if comment.is_deleted:
            return comment
        comment.body, comment.mentions = "", []
        comment.deleted_at, comment.deleted_by, comment.updated_by = timezone.now(), actor, actor
        comment.save()
        redacted = f"You were mentioned on the {target._meta.verbose_name} {target} in a comment since deleted."
        Notification.objects.for_org(org).filter(comment_id=comment.pk).update(message=redacted[:300])
        records.log_activity(target, actor, "comment_deleted", {"comment_id": str(comment.pk)})
    return comment


# --- Attachments ------------------------------------------------------------------------------------------


def attachment_create(
    *, org: Org, actor: Profile, target_type: str, target_id: Any, upload: Any | None
) -> Attachment:
    """The record is checked before the file is looked at; the file is stored only once it passed every check,
    and removed again if the transaction does not complete."""
    stored_name: str | None = ""
    storage = Attachment._meta.get_field("file").storage
    try:
        with transaction.atomic():
            target = target_get(org=org, actor=actor, target_type=target_type, target_id=target_id)
            _refuse_archived(target)
            _contributable(actor, target)
            if upload is None:
                raise ApiError(
                    "No file was submitted.", code="required",
                    fields={"file": [{"code": "required", "detail": "No file was submitted."}]},
                )  # fmt: skip
            checked = uploads.check_upload(upload)
            attachment = Attachment(
                org=org, created_by=actor, updated_by=actor, target_type=records.target_type(target),
                target_id=target.pk, file_name=checked.file_name, content_type=checked.content_type,
                charset=checked.charset, size=checked.size, sha256=checked.sha256,
            )  # fmt: skip
            attachment.file.save(checked.file_name, upload, save=False)
            stored_name = attachment.file.name
            attachment.save()
            records.log_activity(
                target,
                actor,
                "attached",
                {"attachment_id": str(attachment.pk), "file_name": attachment.file_name, "size": attachment.size},
            )
    except BaseException:
        if stored_name:
            storage.delete(stored_name)
        raise
    return attachment


def attachment_delete(*, org: Org, actor: Profile, attachment_id: Any) -> None:
    """Uploaders delete their own files; owners and admins any. The file leaves storage once it commits."""
    with transaction.atomic():
        attachment = Attachment.objects.for_org(org).select_for_update().filter(pk=attachment_id).first()
        if attachment is None:
            raise NotFound()
        target = visible_target(
            org=org, actor=actor, target_type=attachment.target_type, target_id=attachment.target_id
        )
        if target is None:
            raise NotFound()
        if attachment.created_by_id != actor.pk and actor.role not in ADMINS:
            raise _forbidden("Only the uploader or an admin can delete an attachment.")
        stored_name, storage = attachment.file.name, attachment.file.storage
        changes = {"attachment_id": str(attachment.pk), "file_name": attachment.file_name}
        attachment.delete()
        records.log_activity(target, actor, "attachment_deleted", changes)
        transaction.on_commit(lambda: storage.delete(stored_name))


# --- For record services: purge and merge -----------------------------------------------------------------


def timeline_target_purge(*, org: Org, target_type: str, target_id: Any) -> None:
    """Everything the timeline holds about a record that is being purged, files included (after commit)."""
    with transaction.atomic():
        attachments = Attachment.objects.for_org(org).filter(target_type=target_type, target_id=target_id)
        names = list(attachments.values_list("file", flat=True))
        attachments.delete()
        Comment.objects.for_org(org).filter(target_type=target_type, target_id=target_id).delete()
        Notification.objects.for_org(org).filter(target_type=target_type, target_id=target_id).delete()
        ActivityEntry.objects.for_org(org).filter(target_type=target_type, target_id=target_id).delete()
        storage = Attachment._meta.get_field("file").storage

        def delete_files() -> None:
            for name in names:
                storage.delete(name)

        transaction.on_commit(delete_files)


def timeline_target_move(*, org: Org, target_type: str, from_id: Any, to_id: Any) -> None:
    """When one record is merged into another: its whole timeline moves with it."""
    with transaction.atomic():
        for model in (ActivityEntry, Comment, Attachment, Notification):
            model.objects.for_org(org).filter(target_type=target_type, target_id=from_id).update(target_id=to_id)


# --- Notifications ----------------------------------------------------------------------------------------


def notification_mark_read(*, org: Org, actor: Profile, notification_id: Any) -> Notification:
    """Only the recipient's own; reading twice keeps the first time."""
    with transaction.atomic():
        notification = (
            Notification.objects.for_org(org)
            .select_for_update()
            .filter(pk=notification_id, recipient=actor)
            .first()
        )
        if notification is None:
            raise NotFound()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at", "updated_at"])
    return notification


def notifications_mark_all_read(*, org: Org, actor: Profile) -> int:
    with transaction.atomic():
        now = timezone.now()
        return (
            Notification.objects.for_org(org)
            .filter(recipient=actor, read_at__isnull=True)
            .update(read_at=now, updated_at=now)
        )


def email_opt_outs_set(*, user: User, kinds: list[str]) -> User:
    """A person's choice, the same in every org they belong to."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.email_opt_outs = sorted(set(kinds))
        locked.save(update_fields=["email_opt_outs", "updated_at"])
    return locked
