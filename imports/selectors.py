"""Reading import jobs, their rows and org exports; a missing id and another org's are the same 404."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from common.errors import NotFound
from imports.models import ImportJob, ImportRow, OrgExport
from tenants.models import Org


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def jobs_of(*, org: Org) -> QuerySet[ImportJob]:
    return ImportJob.objects.for_org(org).order_by("-created_at", "-id")


def job_of(*, org: Org, job_id: Any, lock: bool = False) -> ImportJob:
    rows = ImportJob.objects.for_org(org)
    if lock:
        rows = rows.select_for_update()
    found: ImportJob | None = rows.filter(pk=_uuid(job_id)).first()
    if found is None:
        raise NotFound()
    return found


def rows_of(*, org: Org, job: ImportJob, preview: bool, outcome: str | None = None) -> QuerySet[ImportRow]:
    rows = ImportRow.objects.for_org(org).filter(job=job, is_preview=preview).order_by("row_number")
    if outcome:
        rows = rows.filter(outcome=outcome)
    return rows


def export_of(*, org: Org, export_id: Any) -> OrgExport:
    found: OrgExport | None = OrgExport.objects.for_org(org).filter(pk=_uuid(export_id)).first()
    if found is None:
        raise NotFound()
    return found


def org_of_download(org_id: Any) -> Org | None:
    """The org a signed export link names (the link is the credential; the org header plays no part)."""
    return Org.objects.filter(pk=org_id).first()


def org_being_deleted(org_id: Any) -> Org:
    """An org scheduled for deletion, the only kind platform admins may export; anything else is a 404."""
    from tenants.models import OrgStatus

    org = Org.objects.filter(pk=_uuid(org_id), status=OrgStatus.DELETING).first()
    if org is None:
        raise NotFound()
    return org
