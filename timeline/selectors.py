"""Reading the timeline: which records it can hang off, the record a client names (if the caller may see it),
comments, attachments, notifications, and the merged timeline of one record."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils.module_loading import import_string

from common import registry
from common.errors import ApiError, NotFound
from common.models import Profile, RecordModel
from common.pagination import FeedPosition
from records.visibility import visible_records
from tenants.models import Org
from timeline.models import ActivityEntry, Attachment, Comment, Notification

# Comments and attachments are entries of their own on the merged timeline; their activity rows would repeat them.
_SHOWN_AS_THEIR_OWN_ENTRY = ("commented", "attached")


@functools.cache
def target_models() -> dict[str, type[RecordModel]]:
    """Every type the timeline hangs off, by label ("contacts.contact"): the record types of the installed
    modules, and the modules' other timeline targets (a board's card)."""
    found = dict(registry.record_models())
    for label in registry.timeline_targets():
        found[label] = apps.get_model(label)
    return found


def visible_to(queryset: QuerySet[Any], profile: Profile) -> QuerySet[Any]:
    """The rows of `queryset` (one target type) that this member may see, by the rule of the type's module."""
    target = registry.timeline_targets().get(queryset.model._meta.label_lower)
    if target is None:
        return visible_records(queryset, profile)
    visible: Any = import_string(target.visible)
    return visible(queryset, profile)


def may_contribute(profile: Profile, target: Any) -> bool:
    """Whether a member who sees the target may comment on it and attach files to it."""
    declared = registry.timeline_targets().get(target._meta.label_lower)
    return declared is None or bool(import_string(declared.may_contribute)(profile, target))


def target_model(target_type: str) -> type[RecordModel]:
    model = target_models().get(target_type)
    if model is None:
        detail = f"Not a record type. Use one of: {', '.join(sorted(target_models()))}."
        raise ApiError(
            detail, code="invalid_choice", fields={"target_type": [{"code": "invalid_choice", "detail": detail}]}
        )
    return model


def visible_target(*, org: Org, actor: Profile, target_type: str, target_id: Any) -> RecordModel | None:
    model = target_models().get(target_type)
    if model is None:
        return None
    return visible_to(model.objects.for_org(org), actor).filter(pk=target_id).first()


def target_get(*, org: Org, actor: Profile, target_type: str, target_id: Any) -> RecordModel:
    """The record a client names, if it is in this org and the caller may see it; otherwise the same 404
    whether it is missing, another org's, or just not visible to this caller."""
    target_model(target_type)
    record = visible_target(org=org, actor=actor, target_type=target_type, target_id=target_id)
    if record is None:
        raise NotFound()
    return record


def does_not_exist(field: str, pk: Any) -> ApiError:
    detail = f'Invalid pk "{pk}" - object does not exist.'
    return ApiError(detail, code="does_not_exist", fields={field: [{"code": "does_not_exist", "detail": detail}]})


def body_target_get(*, org: Org, actor: Profile, target_type: str, target_id: Any) -> RecordModel:
    """The record a request body names: an id in a body that is missing, another org's or not visible to the
    caller is the `target_id` field error `does_not_exist`, the same for all three (a URL gets a 404)."""
    target_model(target_type)
    record = visible_target(org=org, actor=actor, target_type=target_type, target_id=target_id)
    if record is None:
        raise does_not_exist("target_id", target_id)
    return record


def comments_for_target(*, org: Org, target: RecordModel) -> QuerySet[Comment]:
    return Comment.objects.for_org(org).filter(target_type=target._meta.label_lower, target_id=target.pk)


def attachments_for_target(*, org: Org, target: RecordModel) -> QuerySet[Attachment]:
    return Attachment.objects.for_org(org).filter(target_type=target._meta.label_lower, target_id=target.pk)


def comment_get(*, org: Org, actor: Profile, comment_id: Any) -> tuple[Comment, RecordModel]:
    """A comment and its record, or a 404 if either is gone or the caller may not see the record."""
    comment = (
        Comment.objects.for_org(org)
        .select_related("created_by__user")
        .prefetch_related("attachments")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None:
        raise NotFound()
    target = visible_target(org=org, actor=actor, target_type=comment.target_type, target_id=comment.target_id)
    if target is None:
        raise NotFound()
    return comment, target


def attachment_get(*, org: Org, actor: Profile, attachment_id: Any) -> tuple[Attachment, RecordModel]:
    attachment = (
        Attachment.objects.for_org(org).select_related("created_by__user").filter(pk=attachment_id).first()
    )
    if attachment is None:
        raise NotFound()
    target = visible_target(
        org=org, actor=actor, target_type=attachment.target_type, target_id=attachment.target_id
    )
    if target is None:
        raise NotFound()
    return attachment, target


def notifications_of(*, org: Org, profile: Profile) -> QuerySet[Notification]:
    """One member's inbox in one org; nobody reads anyone else's."""
    return Notification.objects.for_org(org).filter(recipient=profile)


def activity_for_target(*, org: Org, target_type: str, target_id: uuid.UUID) -> QuerySet[ActivityEntry]:
    return ActivityEntry.objects.for_org(org).filter(target_type=target_type, target_id=target_id)


def _blank_extras() -> dict[str, Any]:
    return {
        "body": None, "parent_id": None, "mentions": None, "edited_at": None, "deleted_at": None,
        "file_name": None, "content_type": None, "size": None,
    }  # fmt: skip


def _older_than(position: FeedPosition | None) -> Q:
    if position is None:
        return Q()
    created_at, pk = position
    return Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk)


def timeline_page(
    record: Any, *, before: FeedPosition | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], bool]:
    """One page of everything about one record, newest first by (created_at, id): activity, comments (deleted
    ones as tombstones, so threads stay whole) and attachments. Every entry has the same keys; those that do
    not apply are None. Returns the entries older than `before` and whether there are more.

    Each table gives its own newest `limit + 1` rows past the position, so the merged page is exact with three
    queries whatever the page or the record's history."""
    org_id, label = record.org_id, record._meta.label_lower
    older, newest_first = _older_than(before), ("-created_at", "-id")
    activity = (
        ActivityEntry.objects.for_org(org_id)
        .filter(older, target_type=label, target_id=record.pk)
        .exclude(verb__in=_SHOWN_AS_THEIR_OWN_ENTRY)
        .order_by(*newest_first)[: limit + 1]
    )
    comments = (
        Comment.objects.for_org(org_id)
        .filter(older, target_type=label, target_id=record.pk)
        .order_by(*newest_first)[: limit + 1]
    )
    attachments = (
        Attachment.objects.for_org(org_id)
        .filter(older, target_type=label, target_id=record.pk)
        .order_by(*newest_first)[: limit + 1]
    )
    entries = [
        {**_blank_extras(), "kind": "activity", "id": entry.pk, "verb": entry.verb, "changes": entry.changes,
         "actor_id": entry.created_by_id, "created_at": entry.created_at}
        for entry in activity
    ]  # fmt: skip
    entries += [
        {**_blank_extras(), "kind": "comment", "id": comment.pk, "verb": "commented", "changes": {},
         "actor_id": comment.created_by_id, "created_at": comment.created_at, "body": comment.body,
         "parent_id": comment.parent_id, "mentions": comment.mentions, "edited_at": comment.edited_at,
         "deleted_at": comment.deleted_at}
        for comment in comments
    ]  # fmt: skip
    entries += [
        {**_blank_extras(), "kind": "attachment", "id": attachment.pk, "verb": "attached", "changes": {},
         "actor_id": attachment.created_by_id, "created_at": attachment.created_at,
         "file_name": attachment.file_name, "content_type": attachment.content_type, "size": attachment.size}
        for attachment in attachments
    ]  # fmt: skip
    entries.sort(key=lambda entry: (entry["created_at"], entry["id"]), reverse=True)
    return entries[:limit], len(entries) > limit
