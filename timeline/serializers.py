"""Request and response shapes of comments, attachments, notifications and email preferences."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from common.access import ADMINS
from tenants.pipeline.context import org_request
from timeline.models import Attachment, Comment, Notification, NotificationKind
from timeline.services import COMMENT_FILES_MAX, COMMENT_MAX_CHARS


class TargetSerializer(serializers.Serializer):
    """The record a comment or attachment is about, in the query string (or, when posting, the body)."""

    target_type = serializers.CharField(max_length=100, help_text='A record type label, e.g. "contacts.contact".')
    target_id = serializers.UUIDField()


class AuthorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.SerializerMethodField()

    def get_name(self, profile: Any) -> str:
        return profile.user.name or profile.user.email


class _OwnedSerializer(serializers.ModelSerializer):
    """`can_edit` / `can_delete` for the caller, so a client shows the right buttons without guessing."""

    author = AuthorSerializer(source="created_by", read_only=True, allow_null=True)
    can_delete = serializers.SerializerMethodField()

    def _is_author(self, obj: Any) -> bool:
        return bool(obj.created_by_id == org_request(self.context["request"]).profile.pk)

    def get_can_delete(self, obj: Any) -> bool:
        profile = org_request(self.context["request"]).profile
        return profile.role != "viewer" and (self._is_author(obj) or profile.role in ADMINS)


class CommentSerializer(_OwnedSerializer):
    parent_id = serializers.UUIDField(read_only=True, allow_null=True)
    body = serializers.CharField(
        read_only=True, help_text="Sanitised Markdown; mentions are `@[Name](profile id)`; empty once deleted."
    )
    mentions = serializers.ListField(child=serializers.UUIDField(), read_only=True)
    attachment_ids = serializers.SerializerMethodField(help_text="The files this comment carries.")
    can_edit = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "target_type", "target_id", "parent_id", "body", "mentions", "attachment_ids", "author",
                  "edited_at", "deleted_at", "created_at", "updated_at", "can_edit", "can_delete"]  # fmt: skip
        read_only_fields = fields

    def get_attachment_ids(self, comment: Comment) -> list[str]:
        files = sorted(comment.attachments.all(), key=lambda file: (file.created_at, file.pk))
        return [str(file.pk) for file in files]

    def get_can_edit(self, comment: Comment) -> bool:
        return self._is_author(comment) and not comment.is_deleted

    def get_can_delete(self, comment: Comment) -> bool:
        return not comment.is_deleted and super().get_can_delete(comment)


class CommentCreateSerializer(serializers.Serializer):
    target_type = serializers.CharField(max_length=100, required=False, help_text="If not in the query string.")
    target_id = serializers.UUIDField(required=False, help_text="If not in the query string.")
    body = serializers.CharField(
        max_length=COMMENT_MAX_CHARS,
        trim_whitespace=False,
        help_text="Markdown. HTML is removed. Mention a member with `@[Name](profile id)`: they are notified.",
    )
    # DRF's metaclass takes declared fields off the class; the stubs see this one as redefining Field.parent.
    parent = serializers.UUIDField(required=False, allow_null=True, help_text="The comment this replies to.")  # type: ignore[assignment]
    attachment_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=COMMENT_FILES_MAX,
        help_text="Files to carry: attachments you uploaded to the same record that no comment carries yet.",
    )


class CommentUpdateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=COMMENT_MAX_CHARS, trim_whitespace=False)


class AttachmentSerializer(_OwnedSerializer):
    comment_id = serializers.UUIDField(read_only=True, allow_null=True, help_text="The comment carrying it.")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "target_type", "target_id", "comment_id", "file_name", "content_type", "size", "sha256",
                  "author", "created_at", "download_url", "can_delete"]  # fmt: skip
        read_only_fields = fields

    def get_download_url(self, attachment: Attachment) -> str:
        return f"/api/timeline/attachments/{attachment.pk}/download/"


class AttachmentUploadSerializer(serializers.Serializer):
    target_type = serializers.CharField(max_length=100, required=False, help_text="If not in the query string.")
    target_id = serializers.UUIDField(required=False, help_text="If not in the query string.")
    # Checked by the service after the record: a caller who may not see the record learns nothing of the file.
    file = serializers.FileField(
        required=False,
        allow_empty_file=True,
        help_text="PDF, image, text/CSV, Word, Excel, PowerPoint or OpenDocument; checked by content.",
    )


class NotificationSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text=", ".join(NotificationKind.values))
    actor_id = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "target_type", "target_id", "comment_id", "message", "actor_id", "is_read",
                  "read_at", "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class ReadAllSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField()


class NotificationKindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    # DRF's metaclass takes declared fields off the class; the stubs see this one as redefining Field.label.
    label = serializers.CharField()  # type: ignore[assignment]
    is_emailed = serializers.BooleanField()


class EmailPreferencesSerializer(serializers.Serializer):
    email_opt_outs = serializers.ListField(
        child=serializers.ChoiceField(choices=NotificationKind.choices),
        max_length=len(NotificationKind.choices),
        help_text="Kinds of notification not to send by email (they still appear in the app).",
    )


class EmailPreferencesResponseSerializer(EmailPreferencesSerializer):
    kinds = NotificationKindSerializer(many=True, read_only=True)
