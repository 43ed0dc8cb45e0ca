"""Tasks over the API: thin declarations on the shared record viewset; the rules live in tasks.services."""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.filters import SearchFilter

from cases.filters import RankedOrderingFilter
from common.viewsets import RecordViewSet
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

    def run_bulk(self, *, ids: list[Any], action: str, changes: dict[str, Any]) -> Any:
        return services.tasks_bulk(
            org=self.request.org, actor=self.request.profile,  # type: ignore[attr-defined]
            ids=ids, action=action, changes=changes,
        )  # fmt: skip
