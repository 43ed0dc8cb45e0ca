"""The whole org as one zip, built in the worker: every record type (CSV and JSON lines), the timeline
(activity, comments, attachments' details) as JSON lines, the attachments' files, and a manifest listing every
file with its row count. Downloaded through a short-lived signed link; owners ask for it, platform admins for an
org being deleted."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from common import registry
from common.errors import Conflict
from common.models import Profile
from imports.models import ExportStatus, OrgExport
from tenants.models import Org
from tenants.pipeline.tasks import enqueue

SALT = "keystone.org-export"
TIMELINE_MODELS = ("timeline.ActivityEntry", "timeline.Comment", "timeline.Attachment")
FORMAT_VERSION = 1


def export_request(*, org: Org, actor: Profile | None) -> OrgExport:
    from imports.tasks import build_export

    with transaction.atomic():
        busy = OrgExport.objects.for_org(org).filter(status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING))
        if busy.exists():
            raise Conflict("An export of this org is already being built.", code="export_running")
        export: OrgExport = OrgExport.objects.create(org=org, created_by=actor, updated_by=actor)
        enqueue(build_export, str(export.pk))
    return export


def download_token(org: Org, export: OrgExport) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"org": str(org.pk), "export": str(export.pk)})


def download_url(org: Org, export: OrgExport) -> str | None:
    if export.status != ExportStatus.READY:
        return None
    path = reverse("api:org-export-download", kwargs={"token": download_token(org, export)})
    return f"{settings.PUBLIC_BASE_URL}{path}"


def token_read(token: str) -> dict[str, str] | None:
    try:
        found: dict[str, str] = signing.TimestampSigner(salt=SALT).unsign_object(
            token, max_age=settings.ORG_EXPORT_LINK_SECONDS
        )
    except (signing.BadSignature, ValueError):
        return None
    return found


def _rows(model: Any, org: Org) -> Iterator[dict[str, Any]]:
    for row in model.objects.for_org(org).order_by("pk").values().iterator(chunk_size=2000):
        row.pop("org_id", None)
        yield json.loads(json.dumps(row, cls=DjangoJSONEncoder))


def _write_table(archive: zipfile.ZipFile, name: str, model: Any, org: Org, *, with_csv: bool) -> int:
    columns = [field.attname for field in model._meta.concrete_fields if field.attname != "org_id"]
    count = 0
    with archive.open(f"{name}.jsonl", "w") as jsonl:
        text = io.TextIOWrapper(jsonl, encoding="utf-8", newline="")
        csv_buffer = io.StringIO()
        writer = csv.writer(csv_buffer)
        writer.writerow(columns)
        for row in _rows(model, org):
            text.write(json.dumps(row, ensure_ascii=False) + "\n")
            if with_csv:
                writer.writerow(["" if row.get(c) is None else _flat(row.get(c)) for c in columns])
            count += 1
        text.flush()
        text.detach()
    if with_csv:
        archive.writestr(f"{name}.csv", csv_buffer.getvalue())
    return count


def _flat(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    # A cell a spreadsheet would run as a formula is written as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not text[1:2].isdigit() else text


def build(*, org: Org, export: OrgExport) -> OrgExport:
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "org": {"id": str(org.pk), "name": org.name, "slug": org.slug},
        "created_at": timezone.now().isoformat(),
        "files": [],
    }
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for label, model in registry.record_models().items():
                name = f"records/{label.replace('.', '-')}"
                count = _write_table(archive, name, model, org, with_csv=True)
                manifest["files"] += [
                    {"path": f"{name}.csv", "rows": count},
                    {"path": f"{name}.jsonl", "rows": count},
                ]
            for label in TIMELINE_MODELS:
                model = apps.get_model(label)
                name = f"timeline/{model._meta.model_name}"
                count = _write_table(archive, name, model, org, with_csv=False)
                manifest["files"].append({"path": f"{name}.jsonl", "rows": count})
            attachment = apps.get_model("timeline.Attachment")
            for item in attachment.objects.for_org(org).order_by("pk").iterator(chunk_size=200):
                path = f"files/{item.pk}/{item.file_name}"
                try:
                    with item.file.open("rb") as source, archive.open(path, "w") as target:
                        while chunk := source.read(1 << 20):
                            target.write(chunk)
                except FileNotFoundError:
                    continue
                manifest["files"].append({"path": path, "bytes": item.size, "sha256": item.sha256})
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        size = spool.tell()
        spool.seek(0)
        export.file.save(f"{export.pk}.zip", File(spool), save=False)
    export.status, export.size_bytes, export.finished_at = ExportStatus.READY, size, timezone.now()
    export.manifest = manifest
    export.save()
    return export
