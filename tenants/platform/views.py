"""The platform administration API under /api/platform/: orgs, users, impersonation and the platform audit log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.dates import moment_param
from common.errors import field_error
from common.models import Profile, User
from common.throttling import client_ip
from common.validation import validated
from tenants.members.serializers import MemberSerializer
from tenants.models import Org, OrgStatus, PlatformAuditEvent
from tenants.orgs.serializers import ConfirmDeletionSerializer
from tenants.pipeline.authentication import signed_in_user
from tenants.platform import selectors, services
from tenants.platform import serializers as s

# --- Query parameters -------------------------------------------------------------------------------------------


def _bool_param(request: Request, name: str) -> bool | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    if value not in ("true", "false"):
        raise field_error(name, "invalid", "Use true or false.")
    return value == "true"


def _uuid_param(request: Request, name: str) -> uuid.UUID | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise field_error(name, "invalid", "Not a UUID.") from None


def _datetime_param(request: Request, name: str) -> datetime | None:
    value = request.query_params.get(name)
    if not value:
        return None
    return moment_param(name, value)


def _statuses_param(request: Request) -> Sequence[str]:
    value = request.query_params.get("status", "")
    statuses = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [part for part in statuses if part not in OrgStatus.values]
    if unknown:
        raise field_error("status", "invalid", f"Unknown status: {', '.join(unknown)}.")
    return statuses


def _ordering_param(request: Request) -> str:
    value = request.query_params.get("ordering") or "name"
    if value.lstrip("-") not in selectors.ORG_ORDERINGS or value.startswith("--"):
        choices = ", ".join(selectors.ORG_ORDERINGS)
        raise field_error("ordering", "invalid", f"Order by one of: {choices} (prefix - to reverse).")
    return value


def _search_param(request: Request) -> str:
    return request.query_params.get("search", "").strip()


# --- Orgs -------------------------------------------------------------------------------------------------------


MEMBERS_ON_DETAIL = 50


def _org_detail_body(org_id: Any) -> dict[str, Any]:
    org = selectors.platform_org_get(org_id=org_id)
    org.record_counts = selectors.org_record_counts([org])[org.pk]
    org.members = list(selectors.platform_org_members(org=org)[:MEMBERS_ON_DETAIL])
    org.recent_activity = selectors.platform_org_recent_audit(org=org)
    return s.PlatformOrgDetailSerializer(org).data


ORG_STATUS_HELP = (
    "Comma-separated statuses. By default the customer orgs (active, suspended, deleting); pool members and the "
    "template are listed only when asked for."
)


class PlatformOrgListView(ListAPIView):
    queryset = Org.objects.none()  # for the schema generator; get_queryset builds the real one
    serializer_class = s.PlatformOrgSerializer
    filter_backends: list[type] = []

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="Name or slug contains."),
            OpenApiParameter("status", str, description=ORG_STATUS_HELP),
            OpenApiParameter(
                "ordering",
                str,
                enum=[*selectors.ORG_ORDERINGS, *(f"-{name}" for name in selectors.ORG_ORDERINGS)],
                description="Default: name. Orgs with no activity yet sort last either way.",
            ),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        request = self.request
        return selectors.platform_orgs(
            search=_search_param(request), statuses=_statuses_param(request), ordering=_ordering_param(request)
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        counts = selectors.org_record_counts(page)
        for org in page:
            org.record_counts = counts[org.pk]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class PlatformOrgDetailView(APIView):
    @extend_schema(responses={200: s.PlatformOrgDetailSerializer})
    def get(self, request: Request, org_id: Any) -> Response:
        return Response(_org_detail_body(org_id))

    @extend_schema(request=s.PlatformOrgChangeSerializer, responses={200: s.PlatformOrgDetailSerializer})
    def patch(self, request: Request, org_id: Any) -> Response:
        quota = validated(s.PlatformOrgChangeSerializer, request.data)["ai_monthly_token_quota"]
        services.org_ai_quota_set(actor=signed_in_user(request), org_id=org_id, quota=quota, ip=client_ip(request))
        return Response(_org_detail_body(org_id))


class PlatformOrgMembersView(ListAPIView):
    """Everyone in one org, removed members last: whom to look at, and whom to impersonate."""

    queryset = Profile.objects.none()  # for the schema generator; get_queryset builds the real one
    serializer_class = MemberSerializer

    def get_queryset(self) -> Any:
        org = selectors.platform_org_get(org_id=self.kwargs["org_id"])
        return selectors.platform_org_members(org=org)


class PlatformOrgSuspendView(APIView):
    @extend_schema(
        request=s.SuspendRequestSerializer,
        responses={200: s.PlatformOrgDetailSerializer},
        description="A suspended org: 409 `already_suspended`; an org being deleted: 409 `org_deleting`.",
    )
    def post(self, request: Request, org_id: Any) -> Response:
        reason = validated(s.SuspendRequestSerializer, request.data)["reason"]
        services.org_suspend(actor=signed_in_user(request), org_id=org_id, reason=reason, ip=client_ip(request))
        return Response(_org_detail_body(org_id))


class PlatformOrgReactivateView(APIView):
    @extend_schema(
        request=None,
        responses={200: s.PlatformOrgDetailSerializer},
        description="Only a suspended org: anything else is 409 `not_suspended` (or `org_deleting`).",
    )
    def post(self, request: Request, org_id: Any) -> Response:
        services.org_reactivate(actor=signed_in_user(request), org_id=org_id, ip=client_ip(request))
        return Response(_org_detail_body(org_id))


class PlatformOrgDeleteView(APIView):
    @extend_schema(
        request=ConfirmDeletionSerializer,
        responses={202: s.PlatformOrgDetailSerializer},
        description="The owner's grace rules: status `deleting`, dropped after the grace period unless cancelled.",
    )
    def post(self, request: Request, org_id: Any) -> Response:
        confirm = validated(ConfirmDeletionSerializer, request.data)["confirm"]
        services.org_deletion_schedule(
            actor=signed_in_user(request), org_id=org_id, confirm_slug=confirm, ip=client_ip(request)
        )
        return Response(_org_detail_body(org_id), status=status.HTTP_202_ACCEPTED)


class PlatformOrgDeleteCancelView(APIView):
    @extend_schema(
        request=None,
        responses={200: s.PlatformOrgDetailSerializer},
        description="Back to `active`, or to `suspended` if the platform deleted a suspended org.",
    )
    def post(self, request: Request, org_id: Any) -> Response:
        services.org_deletion_unschedule(actor=signed_in_user(request), org_id=org_id, ip=client_ip(request))
        return Response(_org_detail_body(org_id))


class PlatformOrgImpersonateView(APIView):
    @extend_schema(
        request=s.ImpersonateRequestSerializer,
        responses={200: s.ImpersonationSerializer},
        description="A 15-minute access token acting as the member, in this org only. Audited, like every request "
        "made with it.",
    )
    def post(self, request: Request, org_id: Any) -> Response:
        data = validated(s.ImpersonateRequestSerializer, request.data)
        started = services.impersonation_start(
            actor=signed_in_user(request), org_id=org_id, ip=client_ip(request), **data
        )
        body = {
            "access": started.access,
            "expires_at": started.expires_at,
            "profile": started.profile,
            "org": started.org,
        }
        return Response(s.ImpersonationSerializer(body).data)


# --- Users ------------------------------------------------------------------------------------------------------


class PlatformUserListView(ListAPIView):
    queryset = User.objects.none()  # for the schema generator; get_queryset builds the real one
    serializer_class = s.PlatformUserSerializer
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
        return selectors.platform_users(
            search=_search_param(request),
            is_active=_bool_param(request, "is_active"),
            is_platform_admin=_bool_param(request, "is_platform_admin"),
        )


def _user_detail_body(user_id: Any) -> dict[str, Any]:
    return s.PlatformUserDetailSerializer(selectors.platform_user_get(user_id=user_id)).data


class PlatformUserDetailView(APIView):
    @extend_schema(responses={200: s.PlatformUserDetailSerializer})
    def get(self, request: Request, user_id: Any) -> Response:
        return Response(_user_detail_body(user_id))


class PlatformUserDeactivateView(APIView):
    @extend_schema(
        request=None,
        responses={200: s.PlatformUserDetailSerializer},
        description="Every token of the user dies at once. Your own account: 409 `cannot_deactivate_self`.",
    )
    def post(self, request: Request, user_id: Any) -> Response:
        services.user_deactivate(actor=signed_in_user(request), user_id=user_id, ip=client_ip(request))
        return Response(_user_detail_body(user_id))


class PlatformUserReactivateView(APIView):
    @extend_schema(request=None, responses={200: s.PlatformUserDetailSerializer})
    def post(self, request: Request, user_id: Any) -> Response:
        services.user_reactivate(actor=signed_in_user(request), user_id=user_id, ip=client_ip(request))
        return Response(_user_detail_body(user_id))


# --- Platform audit log -----------------------------------------------------------------------------------------


class PlatformAuditListView(ListAPIView):
    queryset = PlatformAuditEvent.objects.none()  # for the schema generator; get_queryset builds the real one
    serializer_class = s.PlatformAuditEventSerializer
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
        return selectors.platform_audit_events(
            actor_id=_uuid_param(request, "actor"),
            org_id=_uuid_param(request, "org"),
            action=request.query_params.get("action", "").strip(),
            since=_datetime_param(request, "since"),
            until=_datetime_param(request, "until"),
        )
