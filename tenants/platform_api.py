"""The platform administration API under /api/platform/: orgs, users, impersonation and the platform audit log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.urls import path
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.access import Audience, RouteAccess, Scope
from common.errors import ApiError
from common.models import Profile, User
from common.throttling import client_ip
from tenants import platform
from tenants.members_serializers import ConfirmDeletionSerializer, MemberSerializer
from tenants.models import Org, OrgStatus, PlatformAuditEvent
from tenants.pipeline.authentication import signed_in_user
from tenants.serializers import OrgSerializer

# --- Serializers ------------------------------------------------------------------------------------------------


class PlatformOrgSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(
        read_only=True, help_text="Active members (not deactivated or removed)."
    )
    record_counts = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        read_only=True,
        help_text="Rows per tenant module and model: {app label: {model name: count}}.",
    )

    class Meta:
        model = Org
        fields = [
            "id", "name", "slug", "status", "member_count", "record_counts", "created_at", "last_activity_at",
            "deletion_scheduled_for",
        ]  # fmt: skip
        read_only_fields = fields


class PlatformOrgDetailSerializer(PlatformOrgSerializer):
    deletion_requested_by = serializers.UUIDField(
        source="deletion_requested_by_id", read_only=True, allow_null=True
    )
    deletion_requested_by_email = serializers.EmailField(
        source="deletion_requested_by.email", read_only=True, allow_null=True, default=None
    )

    class Meta(PlatformOrgSerializer.Meta):
        fields = [
            *PlatformOrgSerializer.Meta.fields, "schema_name", "timezone", "currency", "requires_two_factor",
            "deletion_requested_at", "deletion_requested_by", "deletion_requested_by_email", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class SuspendRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PlatformUserSerializer(serializers.ModelSerializer):
    has_two_factor = serializers.BooleanField(read_only=True)
    email_verified = serializers.BooleanField(read_only=True)
    membership_count = serializers.IntegerField(
        read_only=True, help_text="Orgs the user belongs to (not removed)."
    )

    class Meta:
        model = User
        fields = [
            "id", "email", "name", "is_active", "is_platform_admin", "has_two_factor", "email_verified",
            "membership_count", "date_joined",
        ]  # fmt: skip
        read_only_fields = fields


class PlatformMembershipSerializer(serializers.ModelSerializer):
    org = OrgSerializer(read_only=True)

    class Meta:
        model = Profile
        fields = ["id", "org", "role", "is_active", "removed_at", "joined_at"]
        read_only_fields = fields


class PlatformUserDetailSerializer(PlatformUserSerializer):
    memberships = PlatformMembershipSerializer(many=True, read_only=True)

    class Meta(PlatformUserSerializer.Meta):
        fields = [*PlatformUserSerializer.Meta.fields, "memberships"]
        read_only_fields = fields


class ImpersonateRequestSerializer(serializers.Serializer):
    profile_id = serializers.UUIDField(help_text="An active member of this org.")
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ImpersonationSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Access token for this org's tenant routes only; no refresh token.")
    expires_at = serializers.DateTimeField()
    profile = MemberSerializer()
    org = OrgSerializer()


class PlatformAuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlatformAuditEvent
        fields = [
            "id", "action", "actor_user_id", "actor_email", "org_id", "target_type", "target_id", "details", "ip",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields


# --- Query parameters -------------------------------------------------------------------------------------------


def _invalid(name: str, detail: str) -> ApiError:
    return ApiError(detail, code="invalid", fields={name: [{"code": "invalid", "detail": detail}]})


def _bool_param(request: Request, name: str) -> bool | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    if value not in ("true", "false"):
        raise _invalid(name, "Use true or false.")
    return value == "true"


def _uuid_param(request: Request, name: str) -> uuid.UUID | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _invalid(name, "Not a UUID.") from None


def _datetime_param(request: Request, name: str) -> datetime | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise _invalid(name, "Use an ISO-8601 date and time.")
    return moment


def _statuses_param(request: Request) -> Sequence[str]:
    value = request.query_params.get("status", "")
    statuses = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [part for part in statuses if part not in OrgStatus.values]
    if unknown:
        raise _invalid("status", f"Unknown status: {', '.join(unknown)}.")
    return statuses


def _ordering_param(request: Request) -> str:
    value = request.query_params.get("ordering") or "name"
    if value.lstrip("-") not in platform.ORG_ORDERINGS or value.startswith("--"):
        raise _invalid("ordering", f"Order by one of: {', '.join(platform.ORG_ORDERINGS)} (prefix - to reverse).")
    return value


def _search_param(request: Request) -> str:
    return request.query_params.get("search", "").strip()


# --- Orgs -------------------------------------------------------------------------------------------------------


def _org_detail_body(org_id: Any) -> dict[str, Any]:
    org = platform.platform_org_get(org_id=org_id)
    org.record_counts = platform.org_record_counts([org])[org.pk]
    return PlatformOrgDetailSerializer(org).data


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


ORG_STATUS_HELP = (
    "Comma-separated statuses. By default the customer orgs (active, suspended, deleting); pool members and the "
    "template are listed only when asked for."
)


class PlatformOrgListView(ListAPIView):
    queryset = Org.objects.none()  # for the schema generator; get_queryset builds the real one
    serializer_class = PlatformOrgSerializer
    filter_backends: list[type] = []

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="Name or slug contains."),
            OpenApiParameter("status", str, description=ORG_STATUS_HELP),
            OpenApiParameter(
                "ordering",
                str,
                enum=[*platform.ORG_ORDERINGS, *(f"-{name}" for name in platform.ORG_ORDERINGS)],
                description="Default: name. Orgs with no activity yet sort last either way.",
            ),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        request = self.request
        return platform.platform_orgs(
            search=_search_param(request), statuses=_statuses_param(request), ordering=_ordering_param(request)
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        counts = platform.org_record_counts(page)
        for org in page:
            org.record_counts = counts[org.pk]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class PlatformOrgDetailView(APIView):
    @extend_schema(responses={200: PlatformOrgDetailSerializer})
    def get(self, request: Request, org_id: Any) -> Response:
        return Response(_org_detail_body(org_id))


class PlatformOrgSuspendView(APIView):
    @extend_schema(
        request=SuspendRequestSerializer,
        responses={200: PlatformOrgDetailSerializer},
        description="A suspended org: 409 `already_suspended`; an org being deleted: 409 `org_deleting`.",
    )
    def post(self, request: Request, org_id: Any) -> Response:
        reason = _valid(SuspendRequestSerializer, request)["reason"]
        platform.org_suspend(actor=signed_in_user(request), org_id=org_id, reason=reason, ip=client_ip(request))
        return Response(_org_detail_body(org_id))


class PlatformOrgReactivateView(APIView):
    @extend_schema(
        request=None,
        responses={200: PlatformOrgDetailSerializer},
        description="Only a suspended org: anything else is 409 `not_suspended` (or `org_deleting`).",
    )
    def post(self, request: Request, org_id: Any) -> Response:
        platform.org_reactivate(actor=signed_in_user(request), org_id=org_id, ip=client_ip(request))
        return Response(_org_detail_body(org_id))


class PlatformOrgDeleteView(APIView):
    @extend_schema(
        request=ConfirmDeletionSerializer,
        responses={202: PlatformOrgDetailSerializer},
        description="The owner's grace rules: status `deleting`, dropped after the grace period unless cancelled.",
    )
    def post(self, request: Request, org_id: Any) -> Response:
        confirm = _valid(ConfirmDeletionSerializer, request)["confirm"]
        platform.org_deletion_schedule(
            actor=signed_in_user(request), org_id=org_id, confirm_slug=confirm, ip=client_ip(request)
        )
        return Response(_org_detail_body(org_id), status=status.HTTP_202_ACCEPTED)


class PlatformOrgDeleteCancelView(APIView):
    @extend_schema(
        request=None,
        responses={200: PlatformOrgDetailSerializer},
        description="Back to `active`, or to `suspended` if the platform deleted a suspended org.",
    )
    def post(self, request: Request, org_id: Any) -> Response:
        platform.org_deletion_unschedule(actor=signed_in_user(request), org_id=org_id, ip=client_ip(request))
        return Response(_org_detail_body(org_id))


class PlatformOrgImpersonateView(APIView):
    @extend_schema(
        request=ImpersonateRequestSerializer,
        responses={200: ImpersonationSerializer},
        description="A 15-minute access token acting as the member, in this org only. Audited, like every request "
        "made with it.",
    )
    def post(self, request: Request, org_id: Any) -> Response:
        data = _valid(ImpersonateRequestSerializer, request)
        started = platform.impersonation_start(
            actor=signed_in_user(request), org_id=org_id, ip=client_ip(request), **data
        )
        body = {
            "access": started.access,
            "expires_at": started.expires_at,
            "profile": started.profile,
            "org": started.org,
        }
        return Response(ImpersonationSerializer(body).data)


# --- Users ------------------------------------------------------------------------------------------------------


class PlatformUserListView(ListAPIView):
    queryset = User.objects.none()  # for the schema generator; get_queryset builds the real one
    serializer_class = PlatformUserSerializer
    filter_backends: list[type] = []

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="Email or name contains."),
            OpenApiParameter("is_active", bool),
            OpenApiParameter("is_platform_admin", bool),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        request = self.request
        return platform.platform_users(
            search=_search_param(request),
            is_active=_bool_param(request, "is_active"),
            is_platform_admin=_bool_param(request, "is_platform_admin"),
        )


def _user_detail_body(user_id: Any) -> dict[str, Any]:
    return PlatformUserDetailSerializer(platform.platform_user_get(user_id=user_id)).data


class PlatformUserDetailView(APIView):
    @extend_schema(responses={200: PlatformUserDetailSerializer})
    def get(self, request: Request, user_id: Any) -> Response:
        return Response(_user_detail_body(user_id))


class PlatformUserDeactivateView(APIView):
    @extend_schema(
        request=None,
        responses={200: PlatformUserDetailSerializer},
        description="Every token of the user dies at once. Your own account: 409 `cannot_deactivate_self`.",
    )
    def post(self, request: Request, user_id: Any) -> Response:
        platform.user_deactivate(actor=signed_in_user(request), user_id=user_id, ip=client_ip(request))
        return Response(_user_detail_body(user_id))


class PlatformUserReactivateView(APIView):
    @extend_schema(request=None, responses={200: PlatformUserDetailSerializer})
    def post(self, request: Request, user_id: Any) -> Response:
        platform.user_reactivate(actor=signed_in_user(request), user_id=user_id, ip=client_ip(request))
        return Response(_user_detail_body(user_id))


# --- Platform audit log -----------------------------------------------------------------------------------------


class PlatformAuditListView(ListAPIView):
    queryset = PlatformAuditEvent.objects.none()  # for the schema generator; get_queryset builds the real one
    serializer_class = PlatformAuditEventSerializer
    filter_backends: list[type] = []

    @extend_schema(
        parameters=[
            OpenApiParameter("actor", OpenApiTypes.UUID, description="The acting platform admin's user id."),
            OpenApiParameter("org", OpenApiTypes.UUID, description="The org acted on."),
            OpenApiParameter("action", str),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="From this moment on (inclusive)."),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Before this moment (exclusive)."),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        request = self.request
        return platform.platform_audit_events(
            actor_id=_uuid_param(request, "actor"),
            org_id=_uuid_param(request, "org"),
            action=request.query_params.get("action", "").strip(),
            since=_datetime_param(request, "since"),
            until=_datetime_param(request, "until"),
        )


urlpatterns = [
    path("platform/orgs/", PlatformOrgListView.as_view(), name="platform-orgs"),
    path("platform/orgs/<uuid:org_id>/", PlatformOrgDetailView.as_view(), name="platform-org-detail"),
    path("platform/orgs/<uuid:org_id>/suspend/", PlatformOrgSuspendView.as_view(), name="platform-org-suspend"),
    path(
        "platform/orgs/<uuid:org_id>/reactivate/",
        PlatformOrgReactivateView.as_view(),
        name="platform-org-reactivate",
    ),
    path("platform/orgs/<uuid:org_id>/delete/", PlatformOrgDeleteView.as_view(), name="platform-org-delete"),
    path(
        "platform/orgs/<uuid:org_id>/delete/cancel/",
        PlatformOrgDeleteCancelView.as_view(),
        name="platform-org-delete-cancel",
    ),
    path(
        "platform/orgs/<uuid:org_id>/impersonate/",
        PlatformOrgImpersonateView.as_view(),
        name="platform-org-impersonate",
    ),
    path("platform/users/", PlatformUserListView.as_view(), name="platform-users"),
    path("platform/users/<uuid:user_id>/", PlatformUserDetailView.as_view(), name="platform-user-detail"),
    path(
        "platform/users/<uuid:user_id>/deactivate/",
        PlatformUserDeactivateView.as_view(),
        name="platform-user-deactivate",
    ),
    path(
        "platform/users/<uuid:user_id>/reactivate/",
        PlatformUserReactivateView.as_view(),
        name="platform-user-reactivate",
    ),
    path("platform/audit/", PlatformAuditListView.as_view(), name="platform-audit"),
]

# Platform admins only: the route table's permission answers 404 to everyone else, signed in or not.
SIGNED_IN = Audience.AUTHENTICATED
_READ = RouteAccess(Scope.PLATFORM, {"GET": SIGNED_IN})
_WRITE = RouteAccess(Scope.PLATFORM, {"POST": SIGNED_IN})

ROUTES = {
    "platform-orgs": _READ,
    "platform-org-detail": _READ,
    "platform-org-suspend": _WRITE,
    "platform-org-reactivate": _WRITE,
    "platform-org-delete": _WRITE,
    "platform-org-delete-cancel": _WRITE,
    "platform-org-impersonate": _WRITE,
    "platform-users": _READ,
    "platform-user-detail": _READ,
    "platform-user-deactivate": _WRITE,
    "platform-user-reactivate": _WRITE,
    "platform-audit": _READ,
}
