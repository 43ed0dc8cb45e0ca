"""What happened to a record, and who did it: the activity entries every record's timeline is made of."""

from __future__ import annotations

from django.db import models

from common.models import BaseModel


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
