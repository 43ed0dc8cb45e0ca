"""Import jobs: upload (the file checked, its mapping guessed), confirm the mapping, preview, start, cancel and
undo. Writes are one transaction each; the work itself runs in the worker (imports.tasks). Limits per org are
the platform's settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from common import registry
from common.errors import ApiError, Conflict, field_error
from common.models import Profile
from imports import mapping as mappings
from imports import reading
from imports.models import ImportJob, JobStatus
from imports.selectors import job_of
from records.ports import custom_values
from tenants.models import Org
from tenants.pipeline.tasks import enqueue

ACTIVE = (JobStatus.PREVIEWING, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.UNDOING)


def spec_of(module: str) -> registry.ImportSpec:
    spec = registry.import_specs().get(module)
    if spec is None:
        known = ", ".join(sorted(registry.import_specs()))
        raise field_error("module", "invalid_choice", f"Unknown module. One of: {known}.")
    return spec


def targets_of(org: Org, spec: registry.ImportSpec) -> dict[str, list[str]]:
    model = apps.get_model(spec.model)
    keys = custom_values().keys(org=org, module=model._meta.label_lower)
    return mappings.targets(spec, model, keys)


def job_upload(*, org: Org, actor: Profile, module: str, upload: UploadedFile) -> ImportJob:
    spec = spec_of(module)
    if upload.size is not None and upload.size > settings.IMPORTS_MAX_FILE_BYTES:
        raise ApiError(
            f"The file is larger than {settings.IMPORTS_MAX_FILE_BYTES // (1024 * 1024)} MB.",
            code="file_too_large",
            status_code=413,
        )
    stream = upload.file
    assert stream is not None  # an uploaded file always has one
    try:
        shape = reading.inspect(stream, upload.name or "", max_rows=settings.IMPORTS_MAX_ROWS)
    except reading.FileProblem as problem:
        status = 415 if problem.code == "unsupported_file" else 400
        raise ApiError(
            problem.detail, code=problem.code, status_code=status,
            fields={"file": [{"code": problem.code, "detail": problem.detail}]},
        ) from None  # fmt: skip
    guessed = mappings.guess(shape.headers, targets_of(org, spec))
    with transaction.atomic():
        job = ImportJob(
            org=org, created_by=actor, updated_by=actor, module=module, file_name=(upload.name or "")[:255],
            file_format=shape.file_format, encoding=shape.encoding, delimiter=shape.delimiter,
            headers=shape.headers, mapping=guessed, total_rows=shape.total_rows,
        )  # fmt: skip
        stream.seek(0)
        job.file.save(f"{job.pk}.{shape.file_format}", upload, save=False)
        job.save()
    return job


def _checked_mapping(org: Org, job: ImportJob, wanted: dict[str, Any]) -> dict[str, str | None]:
    spec = spec_of(job.module)
    options = targets_of(org, spec)
    unknown = sorted(set(wanted) - set(job.headers))
    if unknown:
        raise field_error("mapping", "unknown_column", f"These columns are not in the file: {', '.join(unknown)}.")
    merged: dict[str, str | None] = {header: job.mapping.get(header) for header in job.headers}
    merged.update(wanted)
    used: dict[str, str] = {}
    for header, target in merged.items():
        if target is None:
            continue
        if target not in options:
            raise field_error(
                "mapping", "invalid_choice", f"Column {header!r}: {target!r} is not a field you can import."
            )
        if target in used:
            raise field_error(
                "mapping", "duplicate_target", f"Columns {used[target]!r} and {header!r} both fill {target}."
            )
        used[target] = header
    if not used:
        raise field_error("mapping", "empty", "Map at least one column.")
    return merged


def job_map(*, org: Org, actor: Profile, job_id: Any, mapping: dict[str, Any]) -> ImportJob:
    """Confirm or edit the mapping (header -> target, null to leave a column out); a new preview is needed."""
    with transaction.atomic():
        job = job_of(org=org, job_id=job_id, lock=True)
        if job.status not in (JobStatus.UPLOADED, JobStatus.PREVIEWED):
            raise Conflict("The mapping cannot change once the import started.", code="import_started")
        job.mapping = _checked_mapping(org, job, mapping)
        job.status, job.preview_counts, job.processed_rows = JobStatus.UPLOADED, {}, 0
        job.updated_by = actor
        job.save()
        job.rows.filter(is_preview=True).delete()
    return job


def _throttle(org: Org, rows: int) -> None:
    active = ImportJob.objects.for_org(org).filter(status__in=ACTIVE).count()
    if active >= settings.IMPORTS_MAX_ACTIVE_JOBS_PER_ORG:
        raise ApiError(
            f"This org already has {active} imports running. Wait for one to finish.",
            code="import_throttled",
            status_code=429,
        )
    since = timezone.now() - timedelta(days=1)
    today = (
        ImportJob.objects.for_org(org).filter(started_at__gte=since).aggregate(rows=Sum("total_rows"))["rows"] or 0
    )
    if today + rows > settings.IMPORTS_MAX_ROWS_PER_DAY_PER_ORG:
        raise ApiError(
            f"This org may import {settings.IMPORTS_MAX_ROWS_PER_DAY_PER_ORG} rows a day; {today} were started in "
            "the last 24 hours.",
            code="import_throttled",
            status_code=429,
        )


def job_preview(*, org: Org, actor: Profile, job_id: Any) -> ImportJob:
    from imports.tasks import run_import

    with transaction.atomic():
        job = job_of(org=org, job_id=job_id, lock=True)
        if job.status not in (JobStatus.UPLOADED, JobStatus.PREVIEWED):
            raise Conflict("Only an import that has not started can be previewed.", code="import_started")
        _throttle(org, 0)
        job.rows.filter(is_preview=True).delete()
        job.status, job.processed_rows, job.preview_counts, job.cancel_requested = (
            JobStatus.PREVIEWING,
            0,
            {},
            False,
        )
        job.updated_by = actor
        job.save()
        enqueue(run_import, str(job.pk))
    return job


def job_start(*, org: Org, actor: Profile, job_id: Any) -> ImportJob:
    from imports.tasks import run_import

    with transaction.atomic():
        job = job_of(org=org, job_id=job_id, lock=True)
        if job.status not in (JobStatus.UPLOADED, JobStatus.PREVIEWED):
            raise Conflict("This import already started.", code="import_started")
        _throttle(org, job.total_rows)
        job.status, job.processed_rows, job.counts, job.cancel_requested = JobStatus.QUEUED, 0, {}, False
        job.started_at, job.updated_by = timezone.now(), actor
        job.save()
        enqueue(run_import, str(job.pk))
    return job


def job_cancel(*, org: Org, actor: Profile, job_id: Any) -> ImportJob:
    """Stops after the batch in flight (batches are atomic: what is imported stays, and can be undone)."""
    with transaction.atomic():
        job = job_of(org=org, job_id=job_id, lock=True)
        if job.status in (JobStatus.UPLOADED, JobStatus.PREVIEWED):
            job.status, job.finished_at = JobStatus.CANCELLED, timezone.now()
        elif job.status in (JobStatus.PREVIEWING, JobStatus.QUEUED, JobStatus.RUNNING):
            job.cancel_requested = True
        else:
            raise Conflict("This import is not running.", code="import_not_running")
        job.updated_by = actor
        job.save()
    return job


def job_undo(*, org: Org, actor: Profile, job_id: Any) -> ImportJob:
    """Remove every record the import created and put back what it changed (in the worker)."""
    from imports.tasks import undo_import

    with transaction.atomic():
        job = job_of(org=org, job_id=job_id, lock=True)
        if job.status not in (JobStatus.COMPLETED, JobStatus.CANCELLED, JobStatus.FAILED) or not job.started_at:
            raise Conflict("Only an import that ran and stopped can be undone.", code="import_not_undoable")
        job.status, job.updated_by = JobStatus.UNDOING, actor
        job.save()
        enqueue(undo_import, str(job.pk))
    return job
