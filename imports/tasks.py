"""Celery tasks of imports: a preview or a run in batches (each batch one transaction with the job's progress,
so a worker that dies loses at most the batch in flight, and the next one goes on from the committed row),
undo, and the beat's sweep that restarts runs whose worker died."""

from __future__ import annotations

import itertools
import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.context import org_context, require_active_org, schema_connection
from common.models import Profile
from common.registry import import_specs
from imports import engine, reading
from imports.models import ImportJob, ImportRow, JobStatus, RowOutcome
from records import services as records
from tenants.models import Org, OrgStatus
from tenants.pipeline.tasks import OrgTask

logger = logging.getLogger("crm.imports")
LONG = 6 * 3600


def _headers() -> dict[str, str]:
    return {"_schema_name": schema_connection.schema_name}


def _numbered(job: ImportJob) -> Iterator[tuple[int, list[str]]]:
    shape = reading.FileShape(job.file_format, job.encoding, job.delimiter, job.headers, job.total_rows)
    with job.file.open("rb") as stream:
        # Row numbers as a spreadsheet shows them: the header is row 1.
        for number, cells in enumerate(reading.rows(stream, shape), start=2):
            if number - 1 > job.total_rows:
                return
            yield number, cells


def _remember_keys(plan: engine.Plan, number: int, cells: list[str]) -> None:
    """Natural keys of rows done before a restart, so a duplicate after it is still caught."""
    for index, target in plan.columns:
        if target in plan.spec.natural_keys and index < len(cells) and cells[index]:
            plan.seen.setdefault((target, cells[index].lower()), number)


@shared_task(base=OrgTask, name="imports.run", time_limit=LONG, soft_time_limit=LONG - 60)
def run_import(job_id: str) -> dict[str, Any]:
    org = require_active_org()
    job = ImportJob.objects.for_org(org).get(pk=job_id)
    dry_run = job.status == JobStatus.PREVIEWING
    if job.status not in (JobStatus.PREVIEWING, JobStatus.QUEUED, JobStatus.RUNNING):
        return {"stopped": job.status}
    actor = Profile.objects.get(pk=job.updated_by_id if dry_run else job.created_by_id)
    plan = engine.plan_for(import_specs()[job.module], job.headers, job.mapping)
    position = job.processed_rows
    source = _numbered(job)
    try:
        for number, cells in itertools.islice(source, position):
            _remember_keys(plan, number, cells)
        while True:
            batch = list(itertools.islice(source, settings.IMPORTS_BATCH_SIZE))
            state = _batch(org, actor, plan, job_id, batch, position, dry_run)
            if state != "more":
                return {"stopped": state}
            position += len(batch)
    except (reading.FileProblem, FileNotFoundError) as problem:
        detail = problem.detail if isinstance(problem, reading.FileProblem) else "The uploaded file is gone."
        ImportJob.objects.for_org(org).filter(pk=job_id).update(
            status=JobStatus.FAILED, error=detail[:300], finished_at=timezone.now()
        )
        return {"stopped": "failed"}


def _batch(
    org: Org, actor: Profile, plan: engine.Plan, job_id: str, batch: list[tuple[int, list[str]]], position: int,
    dry_run: bool,
) -> str:  # fmt: skip
    with transaction.atomic():
        # Waits for a cancel being written, or for another worker's batch; if that worker moved on, it carries on.
        job = ImportJob.objects.for_org(org).select_for_update().filter(pk=job_id).first()
        if job is None or job.processed_rows != position:
            return "busy"
        if job.status not in (JobStatus.PREVIEWING, JobStatus.QUEUED, JobStatus.RUNNING):
            return str(job.status)
        counts_field = "preview_counts" if dry_run else "counts"
        if job.cancel_requested:
            job.status = JobStatus.UPLOADED if dry_run else JobStatus.CANCELLED
            job.cancel_requested, job.finished_at = False, timezone.now()
            job.save()
            return "cancelled"
        if not batch:
            job.status = JobStatus.PREVIEWED if dry_run else JobStatus.COMPLETED
            job.finished_at = None if dry_run else timezone.now()
            job.save()
            return "done"
        if job.status == JobStatus.QUEUED:
            job.status = JobStatus.RUNNING
        results = engine.process(
            org=org, actor=actor, plan=plan, job_id=uuid.UUID(job_id), batch=batch, dry_run=dry_run
        )
        ImportRow.objects.bulk_create(results)
        counts = Counter(getattr(job, counts_field))
        counts.update(str(row.outcome) for row in results)
        setattr(job, counts_field, {outcome: counts.get(outcome, 0) for outcome in RowOutcome.values})
        job.processed_rows = position + len(batch)
        job.save()
    return "more"


@shared_task(base=OrgTask, name="imports.undo", time_limit=LONG, soft_time_limit=LONG - 60)
def undo_import(job_id: str) -> dict[str, int]:
    """Purge the records the import created, and put back the values it changed, newest row first."""
    org = require_active_org()
    job = ImportJob.objects.for_org(org).get(pk=job_id)
    if job.status != JobStatus.UNDOING:
        return {}
    spec = import_specs()[job.module]
    plan = engine.plan_for(spec, job.headers, job.mapping)
    actor = Profile.objects.get(pk=job.updated_by_id)
    done = Counter[str]()
    rows = ImportRow.objects.for_org(org).filter(
        job=job, is_preview=False, outcome__in=[RowOutcome.NEW, RowOutcome.UPDATE]
    )
    for row in rows.order_by("-row_number").iterator(chunk_size=500):
        with transaction.atomic():
            found = plan.model.objects.for_org(org).filter(pk=row.record_id).first()
            if found is None:
                continue
            if row.outcome == RowOutcome.NEW:
                if found.archived_at is None:
                    records.record_archive(model=plan.model, org=org, actor=actor, record_id=found.pk)
                records.record_purge(model=plan.model, org=org, actor=actor, record_id=found.pk)
                done["removed"] += 1
            else:
                old = {name: change[0] for name, change in row.diff.items()}
                records.record_update(
                    model=plan.model, org=org, actor=actor, record_id=found.pk, data=old, change=plan.change
                )
                done["restored"] += 1
    ImportJob.objects.for_org(org).filter(pk=job_id).update(status=JobStatus.UNDONE, finished_at=timezone.now())
    return dict(done)


def resume_org(*, org: Org) -> int:
    stale = timezone.now() - timedelta(seconds=settings.IMPORTS_STALL_SECONDS)
    jobs = ImportJob.objects.for_org(org).filter(
        status__in=(JobStatus.PREVIEWING, JobStatus.QUEUED, JobStatus.RUNNING), updated_at__lt=stale
    )
    count = 0
    for job in jobs:
        run_import.apply_async(args=[str(job.pk)], headers=_headers())
        count += 1
    return count


@shared_task(base=OrgTask, name="imports.resume_stalled")
def resume_stalled() -> int:
    """Beat: a preview or run whose worker went quiet is picked up again from its last committed batch."""
    total = 0
    for org in Org.objects.filter(status=OrgStatus.ACTIVE).order_by("pk"):
        try:
            with org_context(org):
                total += resume_org(org=org)
        except Exception:
            logger.exception("resuming imports failed for org %s", org.pk)
    return total


@shared_task(base=OrgTask, name="imports.build_export", time_limit=LONG, soft_time_limit=LONG - 60)
def build_export(export_id: str) -> str:
    from imports import exports
    from imports.models import ExportStatus, OrgExport

    org = require_active_org()
    export = OrgExport.objects.for_org(org).get(pk=export_id)
    if export.status == ExportStatus.READY:
        return str(export.status)
    OrgExport.objects.for_org(org).filter(pk=export_id).update(status=ExportStatus.RUNNING)
    try:
        exports.build(org=org, export=export)
    except OSError as error:
        OrgExport.objects.for_org(org).filter(pk=export_id).update(
            status=ExportStatus.FAILED, error=f"{type(error).__name__}: {error}"[:300]
        )
    return str(OrgExport.objects.for_org(org).get(pk=export_id).status)
