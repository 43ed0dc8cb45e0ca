"""Deals over the API (the shared record viewset plus move and summary) and the pipeline configuration routes."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import NotFound
from deals import filters, pipeline_services, selectors, serializers, services
from deals.models import Deal, Pipeline
from records import services as records
from records.viewsets import RecordViewSet
from records.visibility import visible_records
from tenants.pipeline.context import OrgViewMixin, org_request


class DealViewSet(RecordViewSet[Deal]):
    model = Deal
    serializer_class = serializers.DealSerializer
    filterset_class = filters.DealFilter
    search_fields = ["~name"]
    ordering_fields = ["name", "amount", "expected_close_date", "closed_at", "stage__position", "created_at",
                       "updated_at"]  # fmt: skip
    # Every bulk change goes through deal_change. `pipeline` stays out: a bulk stage move stays
    # inside each deal's own pipeline.
    bulk_fields = ("tags", "expected_close_date", "owner", "assigned_to", "stage", "lost_reason")

    def narrow_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Not the pipeline: only its id is shown. Each joined table multiplies the join orders PostgreSQL weighs,
        # and with it the page's planning took 7 ms of a 0.7 ms query (benchmarks/README.md).
        return queryset.select_related("stage", "contact", "company", "listing")

    def create_record(self, data: dict[str, Any]) -> Deal:
        return services.deal_create(org=self.org, actor=self.actor, data=data)

    def change_record(self, *, org: Any, actor: Any, record: Deal, data: dict[str, Any]) -> None:
        services.deal_change(org=org, actor=actor, record=record, data=data)

    def validated_bulk_changes(self, raw: dict[str, Any]) -> dict[str, Any]:
        changes = super().validated_bulk_changes(raw)
        if "owner" in raw:
            # The serializer files the owner under its source, `owner_id`, which the kernel does not keep.
            # get_serializer is typed as returning the base class, which has no `fields`.
            serializer = cast(serializers.DealSerializer, self.get_serializer())
            changes["owner_id"] = serializer.fields["owner"].run_validation(raw["owner"])
        return changes

    @extend_schema(request=serializers.DealMoveSerializer, responses={200: serializers.DealSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: Any = None) -> Response:
        """Move the deal to another stage of its pipeline (honours If-Match, like PATCH)."""
        current = self.get_object()  # a deal the caller cannot see is a 404 before the body is looked at
        body = serializers.DealMoveSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        deal = services.deal_move(
            org=self.org,
            actor=self.actor,
            deal_id=current.pk,
            stage=body.validated_data["stage"],
            lost_reason=body.validated_data.get("lost_reason"),
            if_match=request.headers.get("If-Match"),
        )
        return Response(
            self.get_serializer(self._reloaded(deal)).data, headers={"ETag": records.record_etag(deal)}
        )

    @extend_schema(
        filters=True,
        parameters=[OpenApiParameter("pipeline", OpenApiTypes.UUID, description="Default: the default pipeline.")],
        responses={200: serializers.DealSummarySerializer},
    )
    @action(detail=False, methods=["get"])
    def summary(self, request: Request) -> Response:
        """Per stage of one pipeline: how many deals, their amount and weighted amount, per currency. Counts
        only the deals the caller may see, unarchived, narrowed by the list's filters."""
        deals = visible_records(Deal.objects.for_org(self.org), self.actor)
        # The list's own filter backends: a bad filter value is the same 400 here as on the list.
        deals = self.filter_queryset(deals.filter(archived_at__isnull=True))
        pipeline = request.query_params.get("pipeline")
        summary = selectors.deal_summary(
            org=self.org,
            deals=deals,
            pipeline_id=uuid.UUID(pipeline) if pipeline else None,  # already checked by the filter
        )
        return Response(serializers.DealSummarySerializer(summary).data)


# --- Pipelines and stages: configuration objects, read by everyone, changed by admins ------------------------


class PipelineListView(OrgViewMixin, ListAPIView):
    queryset = Pipeline.objects.none()  # for the schema generator; get_queryset scopes to the org
    serializer_class = serializers.PipelineSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return selectors.pipelines_with_stages(org=self.org)

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The org's pipelines with their stages, in order. An org without any gets the default one here."""
        if not Pipeline.objects.for_org(self.org).exists():
            pipeline_services.pipeline_ensure_default(org=self.org)
        return super().get(request, *args, **kwargs)

    @extend_schema(request=serializers.PipelineSerializer, responses={201: serializers.PipelineSerializer})
    def post(self, request: Request) -> Response:
        body = serializers.PipelineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        pipeline = pipeline_services.pipeline_create(
            org=self.org,
            actor=self.actor,
            name=data["name"],
            is_default=data.get("is_default", False),
            stages=[dict(stage) for stage in data["stages"]] if "stages" in data else None,
        )
        return Response(_pipeline_body(request, pipeline.pk), status=status.HTTP_201_CREATED)


def _pipeline_body(request: Request, pipeline_id: Any) -> Any:
    pipeline = selectors.pipelines_with_stages(org=org_request(request).org).get(pk=pipeline_id)
    return serializers.PipelineSerializer(pipeline).data


class PipelineDetailView(OrgViewMixin, APIView):
    @extend_schema(responses={200: serializers.PipelineSerializer})
    def get(self, request: Request, pipeline_id: Any) -> Response:
        pipeline = selectors.pipelines_with_stages(org=self.org).filter(pk=pipeline_id).first()
        if pipeline is None:
            raise NotFound()
        return Response(serializers.PipelineSerializer(pipeline).data)

    @extend_schema(request=serializers.PipelineUpdateSerializer, responses={200: serializers.PipelineSerializer})
    def patch(self, request: Request, pipeline_id: Any) -> Response:
        body = serializers.PipelineUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        pipeline_services.pipeline_update(
            org=self.org,
            actor=self.actor,
            pipeline_id=pipeline_id,
            data=dict(body.validated_data),
        )
        return Response(_pipeline_body(request, pipeline_id))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pipeline_id: Any) -> Response:
        pipeline_services.pipeline_delete(org=self.org, actor=self.actor, pipeline_id=pipeline_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PipelineStagesView(OrgViewMixin, APIView):
    @extend_schema(responses={200: serializers.PipelineStageSerializer(many=True)})
    def get(self, request: Request, pipeline_id: Any) -> Response:
        pipeline = selectors.pipelines_with_stages(org=self.org).filter(pk=pipeline_id).first()
        if pipeline is None:
            raise NotFound()
        return Response(serializers.PipelineStageSerializer(pipeline.stages.all(), many=True).data)

    @extend_schema(
        request=serializers.PipelineStageSerializer, responses={201: serializers.PipelineStageSerializer}
    )
    def post(self, request: Request, pipeline_id: Any) -> Response:
        """Add a stage at the end of the pipeline."""
        body = serializers.PipelineStageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        stage = pipeline_services.stage_create(
            org=self.org,
            actor=self.actor,
            pipeline_id=pipeline_id,
            data=dict(body.validated_data),
        )
        return Response(serializers.PipelineStageSerializer(stage).data, status=status.HTTP_201_CREATED)


class StageDetailView(OrgViewMixin, APIView):
    @extend_schema(
        request=serializers.PipelineStageSerializer, responses={200: serializers.PipelineStageSerializer}
    )
    def patch(self, request: Request, pipeline_id: Any, stage_id: Any) -> Response:
        body = serializers.PipelineStageSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        stage = pipeline_services.stage_update(
            org=self.org,
            actor=self.actor,
            pipeline_id=pipeline_id,
            stage_id=stage_id,
            data=dict(body.validated_data),
        )
        return Response(serializers.PipelineStageSerializer(stage).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pipeline_id: Any, stage_id: Any) -> Response:
        """Only a stage without deals (archived ones included) can go; 409 `stage_in_use` otherwise."""
        pipeline_services.stage_delete(
            org=self.org,
            actor=self.actor,
            pipeline_id=pipeline_id,
            stage_id=stage_id,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class StageReorderView(OrgViewMixin, APIView):
    @extend_schema(request=serializers.StageReorderSerializer, responses={200: serializers.PipelineSerializer})
    def post(self, request: Request, pipeline_id: Any) -> Response:
        body = serializers.StageReorderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pipeline_services.stages_reorder(
            org=self.org,
            actor=self.actor,
            pipeline_id=pipeline_id,
            stage_ids=body.validated_data["stage_ids"],
        )
        return Response(_pipeline_body(request, pipeline_id))
