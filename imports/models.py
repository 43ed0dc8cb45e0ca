"""Import jobs (a file, its confirmed column mapping, progress and counts), the per-row report of a preview or
a run (which also links every imported record to its job, for undo), and org exports."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from common.models import BaseModel


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded; the mapping waits for confirmation"
    PREVIEWING = "previewing", "Preview running"
    PREVIEWED = "previewed", "Preview ready"
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Importing"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"
    UNDOING = "undoing", "Being undone"
    UNDONE = "undone", "Undone"


class ImportJob(BaseModel):
    module = models.CharField(max_length=40)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8)
    encoding = models.CharField(max_length=20)
    delimiter = models.CharField(max_length=2, default=",")
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    # Rows of the current pass (preview or run) done so far; a restarted worker goes on from here.
    processed_rows = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)
    preview_counts = models.JSONField(default=dict)
    cancel_requested = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="import_status_valid")
        ]


class RowOutcome(models.TextChoices):
    NEW = "new", "New record"
    UPDATE = "update", "Updates a record"
    SKIP = "skip", "Nothing to change"
    ERROR = "error", "Not imported"


class ImportRow(BaseModel):
    """One row's result in a preview (`is_preview`) or the run; a run's new and updated rows name their record."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    is_preview = models.BooleanField(default=False)
    row_number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=8, choices=RowOutcome.choices)
    record_id = models.UUIDField(null=True, blank=True)
    errors = models.JSONField(default=dict)
    diff = models.JSONField(default=dict)
    values = models.JSONField(default=list)

    class Meta:
        ordering = ["row_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "job", "is_preview", "row_number"], name="import_row_once_per_pass"
            ),
        ]
        indexes = [models.Index(fields=["job", "is_preview", "outcome", "row_number"], name="import_row_outcome")]


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Building"
    READY = "ready", "Ready to download"
    FAILED = "failed", "Failed"


class OrgExport(BaseModel):
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    file = models.FileField(upload_to="exports/%Y/%m/", max_length=300, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    manifest = models.JSONField(default=dict)
    error = models.CharField(max_length=300, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
