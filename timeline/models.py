"""What happened to a record and what was said about it: activity entries, comments, attachments, and the
notifications members get. All of them hang off any business record by its type label and id."""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.text import get_valid_filename

from common.models import BaseModel, Profile


class ActivityEntry(BaseModel):
    """Written by services (never by signals): created, changed, moved, assigned, archived..."""

    verb = models.CharField(max_length=40)
    # The record it is about, by kind and id: a timeline can hang off any module's records.
    target_type = models.CharField(max_length=40)
    target_id = models.UUIDField()
    # For changes: {"field": [old, new]}; otherwise whatever the verb needs to be read back.
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "-created_at"], name="activity_target_idx")]

    def __str__(self) -> str:
        return f"{self.verb} {self.target_type}:{self.target_id}"


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned to you"
    MENTIONED = "mentioned", "Mentioned"
    TASK_DUE = "task_due", "Task due"
    CASE_ASSIGNED = "case_assigned", "Case assigned"
    LISTING_MATCH = "listing_match", "A listing matches a saved search"
    LISTING_INQUIRY = "listing_inquiry", "An inquiry about your listing"
    ENHANCEMENT_DONE = "enhancement_done", "An image enhancement finished"
    CAMPAIGN_STATUS = "campaign_status", "A campaign you watch changed status"
    CAMPAIGN_COMMENT = "campaign_comment", "A comment on a campaign you watch"
    BUDGET_EXCEEDED = "budget_exceeded", "A campaign budget is spent"
    AI_JOB_FINISHED = "ai_job_finished", "AI copy is ready"


class Notification(BaseModel):
    """Something a member should know about, in the app (and by email unless they opted out)."""

    recipient = models.ForeignKey(Profile, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    target_type = models.CharField(max_length=40)
    target_id = models.UUIDField()
    message = models.CharField(max_length=300)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # The comment that caused it (mentions), so deleting the comment can take its excerpt back out.
    comment_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class Comment(BaseModel):
    """Markdown (sanitised when written) about one record; replies point at the thread's first comment.

    Deleting is soft: the body and mentions are wiped but the row stays, so the replies keep their thread.
    """

    target_type = models.CharField(max_length=100)
    target_id = models.UUIDField()
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies")
    body = models.TextField(blank=True)
    # Profile ids of the @mentions in the body, as checked when it was written.
    mentions = ArrayField(models.UUIDField(), default=list, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "created_at"], name="comment_target_idx"),
            GinIndex(fields=["mentions"], name="comment_mentions_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deleted_at__isnull=True) | (models.Q(body="") & models.Q(mentions=[])),
                name="comment_deleted_is_wiped",
            ),
        ]

    def __str__(self) -> str:
        return f"comment on {self.target_type}:{self.target_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    """attachments/<org id>/<attachment id>/<safe name>: one folder per org, one per file."""
    folder = f"attachments/{uuid.UUID(str(instance.org_id)).hex}/{uuid.UUID(str(instance.pk)).hex}"
    # The storage keeps only letters, digits and `_-.` of the name; "(+).pdf" would become a hidden ".pdf".
    name = get_valid_filename(filename) if filename else ""
    return f"{folder}/{'file' + name if name.startswith('.') else name}"


class Attachment(BaseModel):
    """A file on a record, checked by content when uploaded and only served through the download route."""

    target_type = models.CharField(max_length=100)
    target_id = models.UUIDField()
    file = models.FileField(upload_to=attachment_upload_to, max_length=300)
    # The name it downloads under (already made safe); the stored path is `file.name`.
    file_name = models.CharField(max_length=120)
    # Sniffed from the content, never taken from the client.
    content_type = models.CharField(max_length=120)
    charset = models.CharField(max_length=20, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # The comment that carries this file, if any: uploaded to the record first, then named by the comment.
    comment = models.ForeignKey(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "-created_at"], name="attachment_target_idx")]

    def __str__(self) -> str:
        return self.file_name

    @property
    def served_content_type(self) -> str:
        return f"{self.content_type}; charset={self.charset}" if self.charset else self.content_type
