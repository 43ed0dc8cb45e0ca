"""Support cases: what a customer asked or reported, how urgent it is, and where it stands."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from common.models import RecordModel
from common.search import accent_free_trigram_index


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class CasePriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class CaseType(models.TextChoices):
    QUESTION = "question", "Question"
    PROBLEM = "problem", "Problem"
    INCIDENT = "incident", "Incident"
    FEATURE_REQUEST = "feature_request", "Feature request"


# A case in one of these states needs nobody's attention: it is neither overdue nor handed on at reassignment.
FINISHED_STATUSES = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


class Case(RecordModel):
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW)
    priority = models.CharField(max_length=16, choices=CasePriority.choices, default=CasePriority.MEDIUM)
    type = models.CharField(max_length=20, choices=CaseType.choices, default=CaseType.QUESTION)
    # SET_NULL: purging a contact or company must not fail (or take its support history with it).
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    company = models.ForeignKey(
        "contacts.Company", on_delete=models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    # Set by cases.services only (see case_transition_stamps); never writable through the API.
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    assignment_notification_kind: ClassVar[str] = "case_assigned"

    class Meta(RecordModel.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            *RecordModel.Meta.indexes,
            accent_free_trigram_index("subject", "case_subject_trgm"),
            models.Index(fields=["org", "status", "due_at"], name="case_status_due"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_overdue(self) -> bool:
        return self.due_at is not None and self.due_at < timezone.now() and self.status not in FINISHED_STATUSES
