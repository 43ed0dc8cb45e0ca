"""How the role matrix calls the import routes."""

from __future__ import annotations

from typing import Any

from tenants.testing.fixtures import Cast
from tenants.testing.matrix import Call


def _job(status: str = "uploaded") -> Any:
    def make(cast: Cast) -> dict[str, Any]:
        from django.core.files.base import ContentFile

        from common.context import org_context
        from imports.models import ImportJob

        with org_context(cast.org_a):
            job = ImportJob(
                org=cast.org_a, created_by=cast.owner, updated_by=cast.owner, module="contacts", file_name="m.csv",
                file_format="csv", encoding="utf-8", headers=["Email"], mapping={"Email": "email"}, total_rows=1,
                status=status, started_at=None,
            )  # fmt: skip
            if status == "completed":
                from django.utils import timezone

                job.started_at = timezone.now()
            job.file.save("m.csv", ContentFile(b"Email\nm@example.test\n"), save=False)
            job.save()
        return {"job_id": job.pk}

    return make


def _made(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return made


def _upload(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"module": "contacts", "file": SimpleUploadedFile("m.csv", b"Email\nm@example.test\n")}


def _export(cast: Cast) -> dict[str, Any]:
    from common.context import org_context
    from imports.models import OrgExport

    with org_context(cast.org_a):
        return {"export_id": OrgExport.objects.create(org=cast.org_a, status="running").pk}


def _deleting(cast: Cast) -> dict[str, Any]:
    from tenants.models import Org, OrgStatus

    Org.objects.filter(pk=cast.org_a.pk).update(status=OrgStatus.DELETING)
    return {"org_id": cast.org_a.pk, **_export(cast)}


def _org_id(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"org_id": made["org_id"]}


def _ready_link(cast: Cast) -> dict[str, Any]:
    from django.core.files.base import ContentFile

    from common.context import org_context
    from imports import exports
    from imports.models import OrgExport

    with org_context(cast.org_a):
        export = OrgExport(org=cast.org_a, status="ready")
        export.file.save("m.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18), save=False)
        export.save()
    return {"token": exports.download_token(cast.org_a, export)}


MATRIX_SPECS = {
    "api:org-exports": {"POST": Call(status=202)},
    "api:org-export-detail": {"GET": Call(setup=_export, kwargs=_made)},
    "api:org-export-download": {"GET": Call(setup=_ready_link, kwargs=_made)},
    "api:platform-org-export": {
        "GET": Call(setup=_deleting, kwargs=_org_id),
        "POST": Call(status=409, setup=_deleting, kwargs=_org_id),
    },
    "api:imports": {"GET": Call(), "POST": Call(status=201, body=_upload, format="multipart")},
    "api:import-detail": {
        "GET": Call(setup=_job(), kwargs=_made),
        "PATCH": Call(setup=_job(), kwargs=_made, body={"mapping": {"Email": "email"}}),
    },
    "api:import-preview": {"POST": Call(status=202, setup=_job(), kwargs=_made)},
    "api:import-start": {"POST": Call(status=202, setup=_job(), kwargs=_made)},
    "api:import-cancel": {"POST": Call(status=202, setup=_job(), kwargs=_made)},
    "api:import-undo": {"POST": Call(status=202, setup=_job("completed"), kwargs=_made)},
    "api:import-rows": {"GET": Call(setup=_job(), kwargs=_made)},
    "api:import-failed-rows": {"GET": Call(setup=_job(), kwargs=_made)},
}
