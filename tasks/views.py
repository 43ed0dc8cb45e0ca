"""Tasks over the API: thin declarations on the shared record viewset; the rules live in tasks.services."""

from __future__ import annotations

from typing import Any

from common.filtering import StrictFilterBackend
from common.search import SearchFilter
from records.filters import RankedOrderingFilter
from records.viewsets import RecordViewSet
from tasks import filters, serializers, services
from tasks.models import Task, TaskPriority, TaskStatus


class TaskViewSet(RecordViewSet[Task]):
    model = Task
    serializer_class = serializers.TaskSerializer
    filterset_class = filters.TaskFilter
    filter_backends = [StrictFilterBackend, SearchFilter, RankedOrderingFilter]
    search_fields = ["~title"]
    ordering_fields = ["title", "status", "priority", "due_at", "completed_at", "created_at", "updated_at"]
    ordering_ranks = {"priority": TaskPriority.values, "status": TaskStatus.values}
    # Every bulk change goes through task_change, so completion stamps and reminder resets happen.
    bulk_fields = ("assigned_to", "tags", "status", "priority", "due_at")

    def create_record(self, data: dict[str, Any]) -> Task:
        return services.task_create(org=self.org, actor=self.actor, data=data)

    def change_record(self, *, org: Any, actor: Any, record: Task, data: dict[str, Any]) -> None:
        services.task_change(org=org, actor=actor, record=record, data=data)
