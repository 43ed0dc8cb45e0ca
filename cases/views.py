"""Cases over the API: thin declarations on the shared record viewset; status rules live in cases.services."""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

from cases import filters, serializers, services
from cases.models import Case, CasePriority
from common.viewsets import BulkRequestSerializer, BulkResponseSerializer, RecordViewSet


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

    @extend_schema(
        request=BulkRequestSerializer,
        responses={200: BulkResponseSerializer},
        description="Per id: updated, archived, not_found, forbidden, or invalid with the rule's `code` and "
        "`detail` (a status move that case cannot make). Each case is changed as a single PATCH would change "
        "it: the same transition rules, timestamps and timeline entries.",
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        payload = BulkRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        changes: dict[str, Any] = {}
        if payload.validated_data["action"] == "update":
            changes = self._validated_bulk_changes(payload.validated_data["changes"])
        result = services.cases_bulk(
            org=request.org, actor=request.profile,  # type: ignore[attr-defined]
            ids=payload.validated_data["ids"], action=payload.validated_data["action"], changes=changes,
        )  # fmt: skip
        return Response({"results": result.results})
