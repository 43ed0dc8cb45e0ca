"""What happened to a record, and who did it: the activity entries every record's timeline is made of."""

from __future__ import annotations

from django.db import models

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


class Notification(BaseModel):
    """Something a member should know about, in the app (and by email unless they opted out)."""

    recipient = models.ForeignKey(Profile, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    target_type = models.CharField(max_length=40)
    target_id = models.UUIDField()
    message = models.CharField(max_length=300)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"
