"""Admins define custom fields per module; every member can read the definitions (forms need them)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customfields import services
from customfields.models import CustomFieldDefinition
from tenants.pipeline.context import OrgViewMixin


class DefinitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomFieldDefinition
        fields = ["id", "module", "key", "label", "field_type", "is_required", "options", "position", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators: list[object] = []  # uniqueness is the service's 409


class DefinitionUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomFieldDefinition
        fields = ["label", "is_required", "options", "position"]


class DefinitionListView(OrgViewMixin, ListAPIView):
    queryset = CustomFieldDefinition.objects.none()  # for the schema generator; get_queryset scopes to the org
    serializer_class = DefinitionSerializer

    @extend_schema(
        parameters=[OpenApiParameter("module", str, description='A model label, e.g. "contacts.contact".')]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        queryset = CustomFieldDefinition.objects.for_org(self.org)
        module = self.request.query_params.get("module")
        return queryset.filter(module=module) if module else queryset

    @extend_schema(request=DefinitionSerializer, responses={201: DefinitionSerializer})
    def post(self, request: Request) -> Response:
        data = DefinitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        definition = services.definition_create(org=self.org, actor=self.actor, data=dict(data.validated_data))
        return Response(DefinitionSerializer(definition).data, status=status.HTTP_201_CREATED)


class DefinitionDetailView(OrgViewMixin, APIView):
    @extend_schema(request=DefinitionUpdateSerializer, responses={200: DefinitionSerializer})
    def patch(self, request: Request, definition_id: Any) -> Response:
        data = DefinitionUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        definition = services.definition_update(
            org=self.org,
            actor=self.actor,
            definition_id=definition_id,
            data=dict(data.validated_data),
        )
        return Response(DefinitionSerializer(definition).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, definition_id: Any) -> Response:
        services.definition_delete(org=self.org, definition_id=definition_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
