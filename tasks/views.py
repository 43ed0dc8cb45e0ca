"""Tasks over the API: thin declarations on the shared record viewset; the rules live in tasks.services."""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

from cases.filters import RankedOrderingFilter
from common.viewsets import BulkRequestSerializer, BulkResponseSerializer, RecordViewSet
from tasks import filters, serializers, services
from tasks.models import Task, TaskPriority, TaskStatus


class TaskViewSet(RecordViewSet):
    model = Task
    serializer_class = serializers.TaskSerializer
    filterset_class = filters.TaskFilter
    filter_backends = [DjangoFilterBackend, SearchFilter, RankedOrderingFilter]
    search_fields = ["title"]
    ordering_fields = ["title", "status", "priority", "due_at", "completed_at", "created_at", "updated_at"]
    ordering_ranks = {"priority": TaskPriority.values, "status": TaskStatus.values}
    # Every bulk change goes through task_update (see bulk), so completion stamps and reminder resets happen.
    bulk_fields = ("assigned_to", "tags", "status", "priority", "due_at")

    def create_record(self, data: dict[str, Any]) -> Any:
        return services.task_create(org=self.request.org, actor=self.request.profile, data=data)  # type: ignore[attr-defined]

    def update_record(self, record_id: Any, data: dict[str, Any], if_match: str | None) -> Any:
        return services.task_update(
            org=self.request.org,  # type: ignore[attr-defined]
            actor=self.request.profile,  # type: ignore[attr-defined]
            record_id=record_id,
            data=data,
            if_match=if_match,
        )

    @extend_schema(
        request=BulkRequestSerializer,
        responses={200: BulkResponseSerializer},
        description="Per id: updated, archived, not_found, forbidden, or invalid with the rule's `code` and "
        "`detail`. Each task is changed as a single PATCH would change it: completion stamps, reminder resets, "
        "timeline entries and assignment notices.",
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        payload = BulkRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        changes: dict[str, Any] = {}
        if payload.validated_data["action"] == "update":
            changes = self._validated_bulk_changes(payload.validated_data["changes"])
        result = services.tasks_bulk(
            org=request.org, actor=request.profile,  # type: ignore[attr-defined]
            ids=payload.validated_data["ids"], action=payload.validated_data["action"], changes=changes,
        )  # fmt: skip
        return Response({"results": result.results})
