"""How the role matrix calls the comment, attachment and notification routes."""

from __future__ import annotations

from typing import Any

from tenants.testing.fixtures import Cast
from tenants.testing.matrix import Call, record_factory

CONTACT = "contacts.models.Contact"
_contact = record_factory(CONTACT)
# Allowed by the table, refused by the row: only the author edits; the author, owners and admins delete.
NOT_THE_AUTHOR = {"admin": 403, "manager": 403, "member": 403}
NOT_AUTHOR_OR_ADMIN = {"manager": 403, "member": 403}
NOT_THE_RECIPIENT = {"admin": 404, "manager": 404, "member": 404, "viewer": 404}


def _target(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"target_type": "contacts.contact", "target_id": str(made["pk"])}


def _owners_comment(cast: Cast) -> dict[str, Any]:
    from common.context import org_context
    from timeline.models import Comment

    made = _contact(cast)
    with org_context(cast.org_a):
        comment = Comment.objects.create(
            org=cast.org_a, created_by=cast.owner, target_type="contacts.contact", target_id=made["pk"], body="Hi"
        )
    return {**made, "comment_id": comment.pk}


def _owners_attachment(cast: Cast) -> dict[str, Any]:
    """Only the row: the matrix has no private media folder, so nothing is written to storage."""
    from common.context import org_context
    from timeline.models import Attachment

    made = _contact(cast)
    with org_context(cast.org_a):
        attachment = Attachment.objects.create(
            org=cast.org_a, created_by=cast.owner, target_type="contacts.contact", target_id=made["pk"],
            file="attachments/matrix/matrix.txt", file_name="matrix.txt", content_type="text/plain", size=2,
            sha256="0" * 64,
        )  # fmt: skip
    return {**made, "attachment_id": attachment.pk}


def _owners_notification(cast: Cast) -> dict[str, Any]:
    from common.context import org_context
    from timeline.models import Notification

    made = _contact(cast)
    with org_context(cast.org_a):
        notification = Notification.objects.create(
            org=cast.org_a, recipient=cast.owner, kind="mentioned", target_type="contacts.contact",
            target_id=made["pk"], message="Matrix",
        )  # fmt: skip
    return {"notification_id": notification.pk}


def _comment_kwargs(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"comment_id": made["comment_id"]}


def _attachment_kwargs(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"attachment_id": made["attachment_id"]}


MATRIX_SPECS = {
    "api:timeline-comments": {
        "GET": Call(setup=_contact, body=_target),
        "POST": Call(status=201, setup=_contact, body=lambda cast, made: {**_target(cast, made), "body": "Hello"}),
    },
    "api:timeline-comment-detail": {
        "GET": Call(setup=_owners_comment, kwargs=_comment_kwargs),
        "PATCH": Call(
            setup=_owners_comment, kwargs=_comment_kwargs, body={"body": "Edited"}, overrides=NOT_THE_AUTHOR
        ),
        "DELETE": Call(status=204, setup=_owners_comment, kwargs=_comment_kwargs, overrides=NOT_AUTHOR_OR_ADMIN),
    },
    "api:timeline-attachments": {
        "GET": Call(setup=_contact, body=_target),
        # No file sent: a field error, after the role and record checks (uploads are covered in their suite).
        "POST": Call(status=400, setup=_contact, body=_target, format="multipart"),
    },
    "api:timeline-attachment-detail": {
        "GET": Call(setup=_owners_attachment, kwargs=_attachment_kwargs),
        "DELETE": Call(
            status=204, setup=_owners_attachment, kwargs=_attachment_kwargs, overrides=NOT_AUTHOR_OR_ADMIN
        ),
    },
    # The row exists but no file is in storage here: reachable for every role that sees the record, then 404
    # `file_missing` (downloads themselves are covered in test_attachments_api).
    "api:timeline-attachment-download": {
        "GET": Call(status=404, setup=_owners_attachment, kwargs=_attachment_kwargs),
    },
    "api:notifications": {"GET": Call()},
    "api:notifications-unread-count": {"GET": Call()},
    "api:notifications-read-all": {"POST": Call()},
    "api:notification-read": {
        "POST": Call(setup=_owners_notification, kwargs=lambda cast, made: made, overrides=NOT_THE_RECIPIENT),
    },
    "api:notification-preferences": {
        "GET": Call(),
        "PUT": Call(body={"email_opt_outs": ["task_due"]}),
    },
}
