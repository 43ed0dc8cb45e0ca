"""Campaigns over the API: the shared record viewset plus the report, and a campaign's budget lines, spend and
assets. Thin: the rules live in the campaign services, the reads in campaigns.selectors."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers as drf
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns import asset_services, budget_services, filters, reports, selectors, services
from campaigns import serializers as s
from campaigns.models import Campaign
from common.errors import NotFound
from common.files import stored_file_response
from common.filtering import StrictFilterBackend
from common.search import SearchFilter
from common.validation import validated
from records.filters import RankedOrderingFilter
from records.viewsets import JsonUnlessStreamed, RecordViewSet
from tenants.pipeline.context import OrgViewMixin

NO_CONTENT = OpenApiResponse(description="Done; no content.")


class CampaignViewSet(RecordViewSet[Campaign]):
    model = Campaign
    serializer_class = s.CampaignSerializer
    filterset_class = filters.CampaignFilter
    filter_backends = [StrictFilterBackend, SearchFilter, RankedOrderingFilter]
    search_fields = ["~name"]  # trigram-indexed
    ordering_fields = ["name", "status", "objective", "starts_at", "ends_at", "created_at", "updated_at"]
    ordering_ranks = {"status": ["draft", "scheduled", "active", "paused", "completed", "cancelled"]}
    # Every bulk change goes through campaign_change: the status machine and write rights hold per campaign.
    bulk_fields = ("status", "tags", "assigned_to", "owner", "watchers")

    def get_serializer_class(self) -> type[drf.BaseSerializer]:
        # One campaign (read, created or changed) comes with its budget, pacing and asset counts; lists,
        # exports and bulk validation use the plain shape.
        if self.action in ("retrieve", "create", "update", "partial_update", "restore"):
            return s.CampaignDetailSerializer
        return s.CampaignSerializer

    def create_record(self, data: dict[str, Any]) -> Campaign:
        return services.campaign_create(org=self.org, actor=self.actor, data=data)

    def change_record(self, *, org: Any, actor: Any, record: Campaign, data: dict[str, Any]) -> None:
        services.campaign_change(org=org, actor=actor, record=record, data=data)

    def validated_bulk_changes(self, raw: dict[str, Any]) -> dict[str, Any]:
        changes = super().validated_bulk_changes(raw)
        if "owner" in raw:
            # The serializer files the owner under its source, `owner_id`, which the kernel does not keep.
            serializer = cast(s.CampaignSerializer, self.get_serializer())
            changes["owner_id"] = serializer.fields["owner"].run_validation(raw["owner"])
        return changes

    @extend_schema(responses={200: s.CampaignReportSerializer})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def report(self, request: Request, pk: Any = None) -> Response:
        """Budget and pacing per channel and in total, AI usage, asset counts and (null until bulk email
        exists) send figures."""
        report = selectors.campaign_report(org=self.org, campaign=self.get_object())
        return Response(s.CampaignReportSerializer(report, context={"request": request}).data)

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The report.")})
    @action(
        detail=True, methods=["get"], url_path="report/csv", url_name="report-csv", filter_backends=[],
        pagination_class=None, content_negotiation_class=JsonUnlessStreamed,
    )  # fmt: skip
    def report_csv(self, request: Request, pk: Any = None) -> HttpResponse:
        """The report as CSV: one figure a row (section, name, channel, value)."""
        campaign = self.get_object()
        report = selectors.campaign_report(org=self.org, campaign=campaign)
        body = s.CampaignReportSerializer(report, context={"request": request}).data
        return _download(reports.report_csv(body), "text/csv; charset=utf-8", campaign, "csv")

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The report.")}
    )
    @action(
        detail=True, methods=["get"], url_path="report/pdf", url_name="report-pdf", filter_backends=[],
        pagination_class=None, content_negotiation_class=JsonUnlessStreamed,
    )  # fmt: skip
    def report_pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        """The report as a PDF to hand to a client."""
        campaign = self.get_object()
        report = selectors.campaign_report(org=self.org, campaign=campaign)
        return _download(reports.report_pdf(report, org_name=self.org.name), "application/pdf", campaign, "pdf")


def _download(content: bytes, content_type: str, campaign: Campaign, extension: str) -> HttpResponse:
    name = f"{slugify(campaign.name)[:80] or 'campaign'}-report.{extension}"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class _CampaignPart(OrgViewMixin, GenericAPIView):
    """A route under one campaign: a campaign the caller cannot see is a 404 before anything else."""

    filter_backends: list[Any] = []

    def campaign(self) -> Campaign:
        return selectors.campaign_visible(org=self.org, actor=self.actor, campaign_id=self.kwargs["campaign_id"])


# --- Budget ------------------------------------------------------------------------------------------------


class CampaignBudgetView(_CampaignPart):
    @extend_schema(responses={200: s.BudgetSummarySerializer})
    def get(self, request: Request, campaign_id: Any) -> Response:
        """Planned (over the campaign's days), planned to date, spent, remaining and pacing, per line, per
        channel and in total, exact to the cent."""
        summary = selectors.budget_summary(org=self.org, campaign=self.campaign())
        return Response(s.BudgetSummarySerializer(selectors.budget_summary_body(summary)).data)


class BudgetLinesView(_CampaignPart):
    pagination_class = None

    @extend_schema(responses={200: s.BudgetLineSerializer(many=True)})
    def get(self, request: Request, campaign_id: Any) -> Response:
        """The campaign's budget lines, one per channel."""
        lines = selectors.budget_lines_of(org=self.org, campaign=self.campaign())
        return Response(s.BudgetLineSerializer(lines, many=True).data)

    @extend_schema(request=s.BudgetLineSerializer, responses={201: s.BudgetLineSerializer})
    def post(self, request: Request, campaign_id: Any) -> Response:
        self.campaign()
        data = validated(s.BudgetLineSerializer, request.data)
        line = budget_services.budget_line_create(
            org=self.org, actor=self.actor, campaign_id=campaign_id, data=data
        )
        return Response(s.BudgetLineSerializer(line).data, status=status.HTTP_201_CREATED)


class BudgetLineDetailView(_CampaignPart):
    @extend_schema(responses={200: s.BudgetLineSerializer})
    def get(self, request: Request, campaign_id: Any, line_id: Any) -> Response:
        line = selectors.budget_line_of(org=self.org, campaign=self.campaign(), line_id=line_id)
        return Response(s.BudgetLineSerializer(line).data)

    @extend_schema(request=s.BudgetLineChangeSerializer, responses={200: s.BudgetLineSerializer})
    def patch(self, request: Request, campaign_id: Any, line_id: Any) -> Response:
        selectors.budget_line_of(org=self.org, campaign=self.campaign(), line_id=line_id)
        data = validated(s.BudgetLineChangeSerializer, request.data)
        line = budget_services.budget_line_update(
            org=self.org, actor=self.actor, campaign_id=campaign_id, line_id=line_id, data=data
        )
        return Response(s.BudgetLineSerializer(line).data)

    @extend_schema(responses={204: NO_CONTENT})
    def delete(self, request: Request, campaign_id: Any, line_id: Any) -> Response:
        budget_services.budget_line_delete(
            org=self.org, actor=self.actor, campaign_id=campaign_id, line_id=line_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Spend -------------------------------------------------------------------------------------------------


class SpendView(_CampaignPart):
    serializer_class = s.SpendEntrySerializer

    @extend_schema(responses={200: s.SpendEntrySerializer(many=True)})
    def get(self, request: Request, campaign_id: Any) -> Response:
        """The campaign's spend, newest day first, a page at a time."""
        entries = selectors.spend_of(org=self.org, campaign=self.campaign())
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(s.SpendEntrySerializer(page, many=True).data)

    @extend_schema(request=s.SpendEntrySerializer, responses={201: s.SpendEntrySerializer})
    def post(self, request: Request, campaign_id: Any) -> Response:
        self.campaign()
        data = validated(s.SpendEntrySerializer, request.data)
        entry = budget_services.spend_create(org=self.org, actor=self.actor, campaign_id=campaign_id, data=data)
        return Response(s.SpendEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class SpendDetailView(_CampaignPart):
    @extend_schema(responses={200: s.SpendEntrySerializer})
    def get(self, request: Request, campaign_id: Any, entry_id: Any) -> Response:
        entry = selectors.spend_entry_of(org=self.org, campaign=self.campaign(), entry_id=entry_id)
        return Response(s.SpendEntrySerializer(entry).data)

    @extend_schema(request=s.SpendChangeSerializer, responses={200: s.SpendEntrySerializer})
    def patch(self, request: Request, campaign_id: Any, entry_id: Any) -> Response:
        selectors.spend_entry_of(org=self.org, campaign=self.campaign(), entry_id=entry_id)
        data = validated(s.SpendChangeSerializer, request.data)
        entry = budget_services.spend_update(
            org=self.org, actor=self.actor, campaign_id=campaign_id, entry_id=entry_id, data=data
        )
        return Response(s.SpendEntrySerializer(entry).data)

    @extend_schema(responses={204: NO_CONTENT})
    def delete(self, request: Request, campaign_id: Any, entry_id: Any) -> Response:
        budget_services.spend_delete(org=self.org, actor=self.actor, campaign_id=campaign_id, entry_id=entry_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Assets ------------------------------------------------------------------------------------------------


class AssetsView(_CampaignPart):
    serializer_class = s.AssetSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(responses={200: s.AssetSerializer(many=True)})
    def get(self, request: Request, campaign_id: Any) -> Response:
        """The campaign's assets, newest first, a page at a time."""
        assets = selectors.assets_of(org=self.org, campaign=self.campaign())
        page = self.paginate_queryset(assets)
        return self.get_paginated_response(s.AssetSerializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": s.AssetCreateSerializer, "application/json": s.AssetCreateSerializer},
        responses={201: s.AssetSerializer},
    )
    def post(self, request: Request, campaign_id: Any) -> Response:
        """Upload a file (multipart) or link a listing image (`property_image_id`)."""
        self.campaign()
        data = validated(s.AssetCreateSerializer, request.data)
        common = {"org": self.org, "actor": self.actor, "campaign_id": campaign_id, "kind": data["kind"],
                  "alt_text": data["alt_text"]}  # fmt: skip
        if "property_image_id" in data:
            asset = asset_services.asset_link(**common, property_image_id=data["property_image_id"])
        else:
            asset = asset_services.asset_upload(**common, upload=data.get("file"))
        return Response(s.AssetSerializer(asset).data, status=status.HTTP_201_CREATED)


class AssetDetailView(_CampaignPart):
    @extend_schema(responses={200: s.AssetSerializer})
    def get(self, request: Request, campaign_id: Any, asset_id: Any) -> Response:
        asset = selectors.asset_of(org=self.org, campaign=self.campaign(), asset_id=asset_id)
        return Response(s.AssetSerializer(asset).data)

    @extend_schema(request=s.AssetChangeSerializer, responses={200: s.AssetSerializer})
    def patch(self, request: Request, campaign_id: Any, asset_id: Any) -> Response:
        """Change the kind or alt text; an approved or rejected asset goes back to draft."""
        selectors.asset_of(org=self.org, campaign=self.campaign(), asset_id=asset_id)
        data = validated(s.AssetChangeSerializer, request.data)
        asset = asset_services.asset_update(
            org=self.org, actor=self.actor, campaign_id=campaign_id, asset_id=asset_id, data=data
        )
        return Response(s.AssetSerializer(asset).data)

    @extend_schema(responses={204: NO_CONTENT})
    def delete(self, request: Request, campaign_id: Any, asset_id: Any) -> Response:
        asset_services.asset_delete(org=self.org, actor=self.actor, campaign_id=campaign_id, asset_id=asset_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssetDownloadView(_CampaignPart):
    """Always a download, never rendered in the browser: a file cannot run as a page of this site."""

    # Sent with the type the file was stored with (an image, a PDF, text), always as an attachment.
    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    def get(self, request: Request, campaign_id: Any, asset_id: Any) -> Any:
        asset = selectors.asset_of(org=self.org, campaign=self.campaign(), asset_id=asset_id)
        if asset.is_link:
            raise NotFound("A linked listing image is downloaded from its listing.", code="not_an_upload")
        return stored_file_response(
            asset.file.storage,
            asset.file.name,
            content_type=asset.content_type,
            file_name=asset.file_name,
            as_attachment=True,
            missing=NotFound("The file of this asset is missing from storage.", code="file_missing"),
        )


class AssetApprovalView(_CampaignPart):
    @extend_schema(request=s.AssetDecisionSerializer, responses={200: s.AssetSerializer})
    def post(self, request: Request, campaign_id: Any, asset_id: Any) -> Response:
        """Approve or reject an asset (managers and above); `draft` reopens it."""
        selectors.asset_of(org=self.org, campaign=self.campaign(), asset_id=asset_id)
        data = validated(s.AssetDecisionSerializer, request.data)
        asset = asset_services.asset_decide(
            org=self.org, actor=self.actor, campaign_id=campaign_id, asset_id=asset_id,
            state=data["approval_state"], note=data["note"],
        )  # fmt: skip
        return Response(s.AssetSerializer(asset).data)
