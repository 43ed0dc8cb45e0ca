"""Contacts and companies over the API: thin declarations on the shared record viewset."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from contacts import filters, serializers, services
from contacts.models import Company, Contact
from records.viewsets import RecordViewSet


class CompanyViewSet(RecordViewSet[Company]):
    model = Company
    serializer_class = serializers.CompanySerializer
    filterset_class = filters.CompanyFilter
    search_fields = ["~name", "domain", "phone"]
    ordering_fields = ["name", "created_at", "updated_at"]
    bulk_fields = ("assigned_to", "tags", "industry", "size")

    def create_record(self, data: dict[str, Any]) -> Company:
        return services.company_create(org=self.org, actor=self.actor, data=data)

    def change_record(self, *, org: Any, actor: Any, record: Company, data: dict[str, Any]) -> None:
        services.company_change(org=org, actor=actor, record=record, data=data)

    @extend_schema(request=serializers.MergeSerializer, responses={200: serializers.CompanySerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: Any = None) -> Response:
        merge_id = serializers.MergeSerializer(data=request.data)
        merge_id.is_valid(raise_exception=True)
        kept = services.company_merge(
            org=self.org,
            actor=self.actor,
            keep_id=pk,
            merge_id=merge_id.validated_data["merge_id"],
        )
        return Response(self.get_serializer(kept).data)


class ContactViewSet(RecordViewSet[Contact]):
    model = Contact
    serializer_class = serializers.ContactSerializer
    filterset_class = filters.ContactFilter
    search_fields = ["~first_name", "~last_name", "email", "secondary_email", "phone", "mobile"]
    ordering_fields = ["last_name", "first_name", "email", "created_at", "updated_at"]
    bulk_fields = ("assigned_to", "tags", "source", "do_not_contact")

    def narrow_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("company")

    def create_record(self, data: dict[str, Any]) -> Contact:
        return services.contact_create(org=self.org, actor=self.actor, data=data)

    def change_record(self, *, org: Any, actor: Any, record: Contact, data: dict[str, Any]) -> None:
        services.contact_change(org=org, actor=actor, record=record, data=data)

    @extend_schema(request=serializers.MergeSerializer, responses={200: serializers.ContactSerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: Any = None) -> Response:
        merge_id = serializers.MergeSerializer(data=request.data)
        merge_id.is_valid(raise_exception=True)
        kept = services.contact_merge(
            org=self.org,
            actor=self.actor,
            keep_id=pk,
            merge_id=merge_id.validated_data["merge_id"],
        )
        return Response(self.get_serializer(kept).data)
