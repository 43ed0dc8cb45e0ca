"""To-dos: who does what by when, optionally about one other record (a contact, a lead, a case...)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from common.models import RecordModel
from common.search import accent_free_trigram_index


class TaskStatus(models.TextChoices):
    TODO = "todo", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class TaskPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class RelatedType(models.TextChoices):
    """The records a task can be about, by model label (resolved lazily: some modules land later)."""

    CONTACT = "contacts.contact", "Contact"
    COMPANY = "contacts.company", "Company"
    LEAD = "leads.lead", "Lead"
    DEAL = "deals.deal", "Deal"
    CASE = "cases.case", "Case"


# Tasks in these states are finished: never overdue, never reminded, not handed on at reassignment.
FINISHED_STATUSES = (TaskStatus.DONE, TaskStatus.CANCELLED)
OPEN_STATUSES = (TaskStatus.TODO, TaskStatus.IN_PROGRESS)


class Task(RecordModel):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.TODO)
    priority = models.CharField(max_length=16, choices=TaskPriority.choices, default=TaskPriority.MEDIUM)
    due_at = models.DateTimeField(null=True, blank=True)
    related_type = models.CharField(max_length=32, choices=RelatedType.choices, blank=True)
    related_id = models.UUIDField(null=True, blank=True)
    # Set by tasks.services and the reminder job only; never writable through the API.
    completed_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta(RecordModel.Meta):
        ordering = [F("due_at").asc(nulls_last=True), "-created_at", "id"]
        constraints = [
            # A link names both the kind of record and its id, or neither.
            models.CheckConstraint(
                condition=Q(related_type="", related_id__isnull=True)
                | (~Q(related_type="") & Q(related_id__isnull=False)),
                name="task_related_both_or_neither",
            ),
        ]
        indexes = [
            *RecordModel.Meta.indexes,
            accent_free_trigram_index("title", "task_title_trgm"),
            models.Index(fields=["org", "status", "due_at"], name="task_status_due"),
            models.Index(fields=["related_type", "related_id"], name="task_related"),
            # The default list page, in the default order (see RecordModel's list index).
            models.Index(
                F("org"),
                F("due_at").asc(nulls_last=True),
                F("created_at").desc(),
                F("id"),
                name="task_list_order",
                condition=Q(archived_at__isnull=True),
            ),
            # The reminder job's scan: only tasks not yet reminded.
            models.Index(
                fields=["due_at"], name="task_reminder_pending", condition=Q(reminder_sent_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.due_at is not None and self.due_at < timezone.now() and self.status not in FINISHED_STATUSES
