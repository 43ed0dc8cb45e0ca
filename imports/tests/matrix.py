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


MATRIX_SPECS = {
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
