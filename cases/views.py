"""Cases over the API: thin declarations on the shared record viewset; status rules live in cases.services."""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.filters import SearchFilter

from cases import filters, serializers, services
from cases.models import Case, CasePriority
from common.viewsets import RecordViewSet


class CaseViewSet(RecordViewSet):
    model = Case
    serializer_class = serializers.CaseSerializer
    filterset_class = filters.CaseFilter
    filter_backends = [DjangoFilterBackend, SearchFilter, filters.RankedOrderingFilter]
    # The subject, and who it is about: the contact's name and email and the company's name (all trigram-indexed).
    search_fields = ["subject", "contact__email", "contact__first_name", "contact__last_name", "company__name"]
    ordering_fields = [
        "subject",
        "status",
        "priority",
        "type",
        "due_at",
        "created_at",
        "updated_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
    ]
    ordering_ranks = {"priority": CasePriority.values}
    # Every bulk change goes through case_update (see bulk), so a status move keeps its rules and timestamps.
    bulk_fields = ("assigned_to", "tags", "status", "priority", "type", "due_at")

    def narrow_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("contact", "company")

    def create_record(self, data: dict[str, Any]) -> Any:
        return services.case_create(org=self.request.org, actor=self.request.profile, data=data)  # type: ignore[attr-defined]

    def update_record(self, record_id: Any, data: dict[str, Any], if_match: str | None) -> Any:
        return services.case_update(
            org=self.request.org,  # type: ignore[attr-defined]
            actor=self.request.profile,  # type: ignore[attr-defined]
            record_id=record_id,
            data=data,
            if_match=if_match,
        )

    def run_bulk(self, *, ids: list[Any], action: str, changes: dict[str, Any]) -> Any:
        return services.cases_bulk(
            org=self.request.org, actor=self.request.profile,  # type: ignore[attr-defined]
            ids=ids, action=action, changes=changes,
        )  # fmt: skip
