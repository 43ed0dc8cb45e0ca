"""The org over the API: its details and settings, its logo, its deletion and its audit log."""

from __future__ import annotations

import mimetypes
import uuid
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.dates import moment_param
from common.errors import ApiError, NotFound
from common.files import stored_file_response
from common.throttling import client_ip
from common.validation import validated
from tenants.audit import audit_events_of
from tenants.models import AuditEvent
from tenants.orgs import deletion, services
from tenants.orgs import serializers as s
from tenants.pipeline.authentication import signed_in_user
from tenants.pipeline.context import OrgViewMixin, org_request


def acting(request: Request) -> dict[str, Any]:
    """The request's org, acting member and IP: the first arguments of every org and member service."""
    return {"org": org_request(request).org, "actor": org_request(request).profile, "ip": client_ip(request)}


def _org_body(request: Request, org: Any) -> dict[str, Any]:
    return s.OrgDetailSerializer(org, context={"profile": org_request(request).profile}).data


class OrgView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.OrgDetailSerializer})
    def get(self, request: Request) -> Response:
        return Response(_org_body(request, self.org))

    @extend_schema(request=s.OrgSettingsSerializer, responses={200: s.OrgDetailSerializer})
    def patch(self, request: Request) -> Response:
        changes = validated(s.OrgSettingsSerializer, request.data)
        return Response(_org_body(request, services.org_settings_update(changes=changes, **acting(request))))


class OrgLogoView(OrgViewMixin, APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY})
    def get(self, request: Request) -> Any:
        org = self.org
        if not org.logo:
            raise NotFound()
        # A row naming a file the storage no longer has is no logo to send: the same 404.
        file_name = str(org.logo.name).rsplit("/", 1)[-1]
        content_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        return stored_file_response(
            org.logo.storage, org.logo.name, content_type=content_type, file_name=file_name, as_attachment=False
        )

    @extend_schema(request={"multipart/form-data": s.LogoUploadSerializer}, responses={200: s.OrgDetailSerializer})
    def put(self, request: Request) -> Response:
        upload = validated(s.LogoUploadSerializer, request.data)["logo"]
        return Response(_org_body(request, services.org_logo_set(upload=upload, **acting(request))))

    @extend_schema(responses={200: s.OrgDetailSerializer})
    def delete(self, request: Request) -> Response:
        return Response(_org_body(request, services.org_logo_clear(**acting(request))))


class OrgDeletionView(APIView):
    @extend_schema(
        request=s.ConfirmDeletionSerializer,
        responses={202: s.OrgDetailSerializer, 403: s.REAUTHENTICATION_REFUSED},
        description="Schedule the org's deletion (30 days of grace). Owners confirm with the slug and their "
        "password, or a 2FA code.",
    )
    def post(self, request: Request) -> Response:
        data = validated(s.ConfirmDeletionSerializer, request.data)
        org = deletion.org_deletion_request(confirm_slug=data.pop("confirm"), **data, **acting(request))
        return Response(_org_body(request, org), status=status.HTTP_202_ACCEPTED)


class OrgDeletionCancelView(APIView):
    """Public scope: while an org is being deleted it refuses tenant requests, so its owner cancels here."""

    @extend_schema(request=None, responses={200: OpenApiResponse(description="Deletion cancelled.")})
    def post(self, request: Request, org_id: Any) -> Response:
        org = deletion.org_deletion_cancel(org_id=org_id, user=signed_in_user(request), ip=client_ip(request))
        return Response({"id": str(org.pk), "status": org.status})


class AuditListView(OrgViewMixin, ListAPIView):
    queryset = AuditEvent.objects.none()  # for the schema generator; get_queryset scopes to the org
    serializer_class = s.AuditEventSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("action", str),
            OpenApiParameter("actor", OpenApiTypes.UUID, description="The acting user's id."),
            OpenApiParameter("since", OpenApiTypes.DATETIME),
            OpenApiParameter("until", OpenApiTypes.DATETIME),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        queryset = audit_events_of(self.org)
        params = self.request.query_params
        if params.get("action"):
            queryset = queryset.filter(action=params["action"])
        if "actor" in params:  # present but blank is a 400, not "anyone"
            queryset = queryset.filter(actor_user_id=_uuid_or_400("actor", params["actor"]))
        for name, lookup in (("since", "created_at__gte"), ("until", "created_at__lt")):
            if name in params:  # present but blank is a 400 too, not "any time"
                queryset = queryset.filter(**{lookup: moment_param(name, params[name])})
        return queryset


def _uuid_or_400(name: str, value: str) -> Any:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApiError(
            "Not a valid id.", code="invalid", fields={name: [{"code": "invalid", "detail": "Not a UUID."}]}
        ) from None
