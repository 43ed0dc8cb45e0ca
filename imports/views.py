"""Imports over the API (managers and above): upload, confirm the mapping, preview, start, cancel, undo, the
per-row report and the failed-rows CSV. Thin: the rules are in the services, the work in the worker."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import ApiError
from imports import engine, selectors, services
from imports import serializers as s
from imports.models import ImportJob, RowOutcome
from records.viewsets import JsonUnlessStreamed
from tenants.pipeline.context import OrgViewMixin

E400 = OpenApiResponse(description="Field errors, or a file that cannot be imported (the code says why).")
E404 = OpenApiResponse(description="No such import in this org.")
E409 = OpenApiResponse(description="Not in a state that allows this (the code says why).")
E413 = OpenApiResponse(description="The file is too large.")
E415 = OpenApiResponse(description="Not a CSV or XLSX file.")
E429 = OpenApiResponse(description="The org's import limits are reached.")


def strict(data: Any, serializer_class: type[drf.Serializer]) -> None:
    if not hasattr(data, "keys"):
        return
    unknown = sorted(set(data.keys()) - set(serializer_class().fields))
    if unknown:
        raise ApiError(
            "Unknown fields in the body.",
            code="unknown_field",
            fields={name: [{"code": "unknown_field", "detail": "This field is not known."}] for name in unknown},
        )


class _ImportView(OrgViewMixin, GenericAPIView):
    filter_backends: list[Any] = []

    def body(self, serializer_class: type[drf.Serializer]) -> dict[str, Any]:
        strict(self.request.data, serializer_class)
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def detail(self, job: ImportJob, code: int = 200) -> Response:
        targets = services.targets_of(self.org, services.spec_of(job.module))
        return Response(s.ImportJobDetailSerializer(job, context={"targets": list(targets)}).data, status=code)


class ImportsView(_ImportView):
    serializer_class = s.ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(responses={200: s.ImportJobSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The org's imports, newest first."""
        page = self.paginate_queryset(selectors.jobs_of(org=self.org))
        return self.get_paginated_response(s.ImportJobSerializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": s.UploadSerializer},
        responses={201: s.ImportJobDetailSerializer, 400: E400, 413: E413, 415: E415},
    )
    def post(self, request: Request) -> Response:
        """Upload a file for a module: the answer holds its headers, row count and the guessed mapping."""
        data = self.body(s.UploadSerializer)
        job = services.job_upload(org=self.org, actor=self.actor, module=data["module"], upload=data["file"])
        return self.detail(job, status.HTTP_201_CREATED)


class ImportDetailView(_ImportView):
    @extend_schema(responses={200: s.ImportJobDetailSerializer, 404: E404})
    def get(self, request: Request, job_id: Any) -> Response:
        """The import with its progress and counts (poll it while it runs)."""
        return self.detail(selectors.job_of(org=self.org, job_id=job_id))

    @extend_schema(
        request=s.MappingSerializer, responses={200: s.ImportJobDetailSerializer, 400: E400, 404: E404, 409: E409}
    )
    def patch(self, request: Request, job_id: Any) -> Response:
        """Confirm or edit the mapping (only the columns given change)."""
        selectors.job_of(org=self.org, job_id=job_id)  # another org's import is a 404 whatever the body says
        data = self.body(s.MappingSerializer)
        job = services.job_map(org=self.org, actor=self.actor, job_id=job_id, mapping=data["mapping"])
        return self.detail(job)


def _action(name: str, doc: str, service: Any) -> type[_ImportView]:
    class ActionView(_ImportView):
        @extend_schema(
            request=None,
            responses={202: s.ImportJobDetailSerializer, 404: E404, 409: E409, 429: E429},
            operation_id=f"imports_{name}",
            summary=doc,
        )
        def post(self, request: Request, job_id: Any) -> Response:
            job = service(org=self.org, actor=self.actor, job_id=job_id)
            return self.detail(job, status.HTTP_202_ACCEPTED)

    ActionView.__name__ = ActionView.__qualname__ = f"Import{name.title()}View"
    ActionView.post.__doc__ = doc
    return ActionView


ImportPreviewView = _action(
    "preview", "Run the whole file without writing anything: a result per row.", services.job_preview
)
ImportStartView = _action("start", "Import the file in the worker, batch by batch.", services.job_start)
ImportCancelView = _action("cancel", "Stop after the batch in flight.", services.job_cancel)
ImportUndoView = _action("undo", "Remove what the import created and put back what it changed.", services.job_undo)


class ImportRowsView(_ImportView):
    serializer_class = s.ImportRowSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("preview", bool, description="The preview's rows (default: the run's)."),
            OpenApiParameter("outcome", str, enum=RowOutcome.values),
        ],
        responses={200: s.ImportRowSerializer(many=True), 400: E400, 404: E404},
    )
    def get(self, request: Request, job_id: Any) -> Response:
        """The per-row report: new, update (with its diff), skip or error (with the field errors)."""
        job = selectors.job_of(org=self.org, job_id=job_id)
        outcome = request.query_params.get("outcome")
        if outcome and outcome not in RowOutcome.values:
            raise ApiError(
                "Unknown outcome.", code="invalid",
                fields={"outcome": [{"code": "invalid_choice", "detail": "Unknown outcome."}]},
            )  # fmt: skip
        preview = request.query_params.get("preview", "false").lower() in ("1", "true")
        page = self.paginate_queryset(selectors.rows_of(org=self.org, job=job, preview=preview, outcome=outcome))
        return self.get_paginated_response(s.ImportRowSerializer(page, many=True).data)


def _safe(cell: str) -> str:
    """A cell a spreadsheet would run as a formula is written as text."""
    return "'" + cell if cell and engine.formula_like(cell) else cell


def _error_text(errors: dict[str, list[dict[str, str]]]) -> str:
    return "; ".join(f"{name}: {item['detail']}" for name, items in errors.items() for item in items)


class ImportFailedRowsView(_ImportView):
    content_negotiation_class = JsonUnlessStreamed

    @extend_schema(
        parameters=[OpenApiParameter("preview", bool, description="The preview's failed rows.")],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The rows."), 404: E404},
    )
    def get(self, request: Request, job_id: Any) -> HttpResponse:
        """The rows that failed, as the file had them plus an `error` column: fix them and upload again."""
        job = selectors.job_of(org=self.org, job_id=job_id)
        preview = request.query_params.get("preview", "false").lower() in ("1", "true")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([*job.headers, "error"])
        failed = selectors.rows_of(org=self.org, job=job, preview=preview, outcome=RowOutcome.ERROR)
        for row in failed.iterator(chunk_size=2000):
            cells = [_safe(cell) for cell in row.values] + [""] * (len(job.headers) - len(row.values))
            writer.writerow([*cells[: len(job.headers)], _error_text(row.errors)])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="failed-rows-{job.pk}.csv"'
        response["Cache-Control"] = "private, no-store"
        return response


# --- The org export -------------------------------------------------------------------------------------------


def _export_body(org: Any, export: Any) -> dict[str, Any]:
    from imports import exports

    return {**s.OrgExportSerializer(export).data, "download_url": exports.download_url(org, export)}


class OrgExportsView(_ImportView):
    serializer_class = s.OrgExportSerializer

    @extend_schema(request=None, responses={202: s.OrgExportSerializer, 409: E409})
    def post(self, request: Request) -> Response:
        """Build a zip of the whole org (every record type, the timeline, files) in the background (owners)."""
        from imports import exports

        export = exports.export_request(org=self.org, actor=self.actor)
        return Response(_export_body(self.org, export), status=status.HTTP_202_ACCEPTED)


class OrgExportDetailView(_ImportView):
    @extend_schema(responses={200: s.OrgExportSerializer, 404: E404})
    def get(self, request: Request, export_id: Any) -> Response:
        """The export's status; once ready, a signed download link that works for a short while."""
        return Response(_export_body(self.org, selectors.export_of(org=self.org, export_id=export_id)))


class OrgExportDownloadView(GenericAPIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    content_negotiation_class = JsonUnlessStreamed

    @extend_schema(
        auth=[],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The zip."),
            404: E404,
        },
    )
    def get(self, request: Request, token: str) -> Any:
        """The zip, for whoever holds a link that has not expired (the link is the credential)."""
        from django.http import FileResponse

        from common.context import org_context
        from common.errors import NotFound
        from imports import exports
        from imports.models import ExportStatus, OrgExport

        found = exports.token_read(token)
        org = selectors.org_of_download(found["org"]) if found else None
        if found is None or org is None:
            raise NotFound()
        with org_context(org):
            export = OrgExport.objects.for_org(org).filter(pk=found["export"], status=ExportStatus.READY).first()
            if export is None:
                raise NotFound()
            response = FileResponse(export.file.open("rb"), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{org.slug}-export.zip"'
        response["Cache-Control"] = "private, no-store"
        return response


class PlatformOrgExportView(GenericAPIView):
    """Platform admins export an org that is being deleted (its owners may be gone)."""

    serializer_class = s.OrgExportSerializer
    filter_backends: list[Any] = []

    def _org(self, org_id: Any) -> Any:
        return selectors.org_being_deleted(org_id)

    @extend_schema(responses={200: s.OrgExportSerializer, 404: E404})
    def get(self, request: Request, org_id: Any) -> Response:
        """The org's latest export, with its download link once ready."""
        from common.context import org_context
        from common.errors import NotFound
        from imports.models import OrgExport

        org = self._org(org_id)
        with org_context(org):
            export = OrgExport.objects.for_org(org).order_by("-created_at").first()
            if export is None:
                raise NotFound()
            return Response(_export_body(org, export))

    @extend_schema(request=None, responses={202: s.OrgExportSerializer, 404: E404, 409: E409})
    def post(self, request: Request, org_id: Any) -> Response:
        """Build the export of an org being deleted."""
        from common.context import org_context
        from imports import exports

        org = self._org(org_id)
        with org_context(org):
            export = exports.export_request(org=org, actor=None)
            return Response(_export_body(org, export), status=status.HTTP_202_ACCEPTED)
