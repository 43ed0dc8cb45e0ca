"""Cases over the API: thin declarations on the shared record viewset; status rules live in cases.services."""

from __future__ import annotations

from typing import Any

from cases import filters, serializers, services
from cases.models import Case, CasePriority
from common.filtering import StrictFilterBackend
from common.search import SearchFilter
from records.filters import RankedOrderingFilter
from records.viewsets import RecordViewSet


class CaseViewSet(RecordViewSet[Case]):
    model = Case
    serializer_class = serializers.CaseSerializer
    filterset_class = filters.CaseFilter
    filter_backends = [StrictFilterBackend, SearchFilter, RankedOrderingFilter]
    # The subject, and who it is about: the contact's name and email and the company's name (all trigram-indexed).
    search_fields = ["~subject", "contact__email", "~contact__first_name", "~contact__last_name", "~company__name"]
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
    # Every bulk change goes through case_change, so a status move keeps its rules and timestamps.
    bulk_fields = ("assigned_to", "tags", "status", "priority", "type", "due_at")

    def narrow_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("contact", "company")

    def create_record(self, data: dict[str, Any]) -> Case:
        return services.case_create(org=self.org, actor=self.actor, data=data)

    def change_record(self, *, org: Any, actor: Any, record: Case, data: dict[str, Any]) -> None:
        services.case_change(org=org, actor=actor, record=record, data=data)
