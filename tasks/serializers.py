"""Request and response shapes of tasks."""

from __future__ import annotations

from rest_framework import serializers

from records.serializers import RECORD_FIELDS, RECORD_READ_ONLY, RecordSerializer
from tasks.models import Task


class TaskSerializer(RecordSerializer):
    is_overdue = serializers.BooleanField(read_only=True, help_text="Due in the past and not done or cancelled.")

    class Meta:
        model = Task
        fields = [
            "id", "title", "description", "status", "priority", "due_at", "is_overdue", "related_type",
            "related_id", "completed_at", "reminder_sent_at", *RECORD_FIELDS,
        ]  # fmt: skip
        read_only_fields = ["id", "completed_at", "reminder_sent_at", *RECORD_READ_ONLY]
        extra_kwargs = {
            "assigned_to": {"help_text": "The assignees: profile ids of active members of the org."},
            "related_type": {"help_text": "The kind of record this task is about; give related_id with it."},
            "related_id": {"help_text": "The id of that record: it must be one you can see in this org."},
        }
