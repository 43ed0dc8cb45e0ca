"""Org settings, ownership, deletion, members, invitations, API keys and the org audit log."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.access import ADMINS, ALL_ROLES, OWNERS, Audience, RouteAccess, Scope
from common.errors import ApiError, NotFound
from common.models import Profile, Role
from common.throttling import Limit, client_ip, enforce, hashed_key
from tenants import api_keys, invitations, members
from tenants import members_serializers as s
from tenants.models import ApiKey, AuditEvent, Invitation
from tenants.pipeline.authentication import signed_in_user
from tenants.pipeline.context import OrgViewMixin, org_request
from tenants.serializers import LoginResponseSerializer, MembershipSerializer, UserSerializer

NO_CONTENT = OpenApiResponse(description="Done; no content.")
INVITATION_LIMIT = Limit("invitation_ip", 30, 300)
# Each invitation is for one email, so its token stands for that email; this also caps guesses spread over IPs.
INVITATION_TOKEN_LIMIT = Limit("invitation_token", 10, 300)


def _valid(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _valid_invitation_token(request: Request) -> str:
    """The token of an invitation request, counted per IP before it is read and per token after."""
    enforce(INVITATION_LIMIT, client_ip(request))
    token = str(_valid(s.InvitationTokenSerializer, request)["token"])
    enforce(INVITATION_TOKEN_LIMIT, hashed_key(token))
    return token


def _ctx(request: Request) -> dict[str, Any]:
    return {"org": org_request(request).org, "actor": org_request(request).profile, "ip": client_ip(request)}


def _org_body(request: Request, org: Any) -> dict[str, Any]:
    return s.OrgDetailSerializer(org, context={"profile": org_request(request).profile}).data


# --- The org ----------------------------------------------------------------------------------------------------


class OrgView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.OrgDetailSerializer})
    def get(self, request: Request) -> Response:
        return Response(_org_body(request, self.org))

    @extend_schema(request=s.OrgSettingsSerializer, responses={200: s.OrgDetailSerializer})
    def patch(self, request: Request) -> Response:
        org = members.org_settings_update(changes=_valid(s.OrgSettingsSerializer, request), **_ctx(request))
        return Response(_org_body(request, org))


class OrgLogoView(OrgViewMixin, APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY})
    def get(self, request: Request) -> Any:
        org = self.org
        if not org.logo:
            raise NotFound()
        return FileResponse(org.logo.open("rb"), filename=org.logo.name.rsplit("/", 1)[-1])

    @extend_schema(request={"multipart/form-data": s.LogoUploadSerializer}, responses={200: s.OrgDetailSerializer})
    def put(self, request: Request) -> Response:
        upload = _valid(s.LogoUploadSerializer, request)["logo"]
        return Response(_org_body(request, members.org_logo_set(upload=upload, **_ctx(request))))

    @extend_schema(responses={200: s.OrgDetailSerializer})
    def delete(self, request: Request) -> Response:
        return Response(_org_body(request, members.org_logo_clear(**_ctx(request))))


class OwnershipTransferView(APIView):
    @extend_schema(request=s.ProfileIdSerializer, responses={200: s.MemberSerializer})
    def post(self, request: Request) -> Response:
        profile_id = _valid(s.ProfileIdSerializer, request)["profile_id"]
        return Response(
            s.MemberSerializer(members.org_ownership_transfer(to_profile_id=profile_id, **_ctx(request))).data
        )


class OrgDeletionView(APIView):
    @extend_schema(request=s.ConfirmDeletionSerializer, responses={202: s.OrgDetailSerializer})
    def post(self, request: Request) -> Response:
        confirm = _valid(s.ConfirmDeletionSerializer, request)["confirm"]
        org = members.org_deletion_request(confirm_slug=confirm, **_ctx(request))
        return Response(_org_body(request, org), status=status.HTTP_202_ACCEPTED)


class OrgDeletionCancelView(APIView):
    """Public scope: while an org is being deleted it refuses tenant requests, so its owner cancels here."""

    @extend_schema(request=None, responses={200: OpenApiResponse(description="Deletion cancelled.")})
    def post(self, request: Request, org_id: Any) -> Response:
        org = members.org_deletion_cancel(org_id=org_id, user=signed_in_user(request), ip=client_ip(request))
        return Response({"id": str(org.pk), "status": org.status})


class LeaveView(OrgViewMixin, APIView):
    @extend_schema(request=None, responses={204: NO_CONTENT})
    def post(self, request: Request) -> Response:
        members.member_remove(profile_id=self.actor.pk, **_ctx(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Members ----------------------------------------------------------------------------------------------------


class MemberListView(OrgViewMixin, ListAPIView):
    queryset = Profile.objects.none()  # for the schema generator; get_queryset scopes to the org
    serializer_class = s.MemberSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="Email or name contains."),
            OpenApiParameter("role", str, enum=[choice for choice, _ in Role.choices]),
            OpenApiParameter("is_active", bool),
            OpenApiParameter("removed", bool, description="Include removed members (admins only)."),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        request = self.request
        profile = self.actor
        include_removed = request.query_params.get("removed") == "true" and profile.role in ADMINS
        queryset = members.members_of(self.org, include_removed=include_removed)
        if term := request.query_params.get("search", "").strip():
            queryset = members.members_search(queryset, term)
        if role := request.query_params.get("role"):
            queryset = queryset.filter(role=role)
        if (is_active := request.query_params.get("is_active")) in ("true", "false"):
            queryset = queryset.filter(is_active=is_active == "true")
        return queryset


class MemberDetailView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.MemberSerializer})
    def get(self, request: Request, profile_id: Any) -> Response:
        return Response(s.MemberSerializer(members.member_get(org=self.org, profile_id=profile_id)).data)

    @extend_schema(request=s.RoleChangeSerializer, responses={200: s.MemberSerializer})
    def patch(self, request: Request, profile_id: Any) -> Response:
        role = _valid(s.RoleChangeSerializer, request)["role"]
        return Response(
            s.MemberSerializer(members.member_role_change(profile_id=profile_id, role=role, **_ctx(request))).data
        )


class MemberDeactivateView(APIView):
    is_active = False

    @extend_schema(request=None, responses={200: s.MemberSerializer})
    def post(self, request: Request, profile_id: Any) -> Response:
        profile = members.member_set_active(profile_id=profile_id, is_active=self.is_active, **_ctx(request))
        return Response(s.MemberSerializer(profile).data)


class MemberReactivateView(MemberDeactivateView):
    is_active = True


class MemberRemoveView(APIView):
    @extend_schema(request=s.RemoveMemberSerializer, responses={200: s.ReassignResultSerializer})
    def post(self, request: Request, profile_id: Any) -> Response:
        reassign_to = _valid(s.RemoveMemberSerializer, request).get("reassign_to")
        reassigned = members.member_remove(profile_id=profile_id, reassign_to=reassign_to, **_ctx(request))
        return Response({"reassigned": reassigned})


class MemberReassignView(APIView):
    @extend_schema(request=s.ReassignSerializer, responses={200: s.ReassignResultSerializer})
    def post(self, request: Request, profile_id: Any) -> Response:
        reassign_to = _valid(s.ReassignSerializer, request)["reassign_to"]
        reassigned = members.member_reassign_records(
            profile_id=profile_id, reassign_to=reassign_to, **_ctx(request)
        )
        return Response({"reassigned": reassigned})


# --- Invitations ------------------------------------------------------------------------------------------------


class InvitationListView(OrgViewMixin, ListAPIView):
    queryset = Invitation.objects.none()  # for the schema generator; get_queryset scopes to the org
    serializer_class = s.InvitationSerializer

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=["pending", "all"])])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        queryset = invitations.invitations_of(self.org)
        if self.request.query_params.get("status", "pending") == "pending":
            now = timezone.now()
            queryset = queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
        return queryset

    @extend_schema(request=s.InvitationCreateSerializer, responses={201: s.InvitationSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(s.InvitationCreateSerializer, request)
        invitation = invitations.invitation_create(email=data["email"], role=data["role"], **_ctx(request))
        return Response(s.InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationResendView(APIView):
    @extend_schema(request=None, responses={200: s.InvitationSerializer})
    def post(self, request: Request, invitation_id: Any) -> Response:
        return Response(
            s.InvitationSerializer(
                invitations.invitation_resend(invitation_id=invitation_id, **_ctx(request))
            ).data
        )


class InvitationRevokeView(APIView):
    @extend_schema(request=None, responses={200: s.InvitationSerializer})
    def post(self, request: Request, invitation_id: Any) -> Response:
        return Response(
            s.InvitationSerializer(
                invitations.invitation_revoke(invitation_id=invitation_id, **_ctx(request))
            ).data
        )


class InvitationPreviewView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(request=s.InvitationTokenSerializer, responses={200: s.InvitationPreviewSerializer})
    def post(self, request: Request) -> Response:
        token = _valid_invitation_token(request)
        invitation, has_account = invitations.invitation_preview(token=token)
        body = {
            "org_name": invitation.org.name,
            "email": invitation.email,
            "role": invitation.role,
            "has_account": has_account,
            "expires_at": invitation.expires_at,
        }
        return Response(s.InvitationPreviewSerializer(body).data)


class InvitationAcceptView(APIView):
    """For an existing account: it must be signed in, so nobody is attached to an org without consent."""

    @extend_schema(request=s.InvitationTokenSerializer, responses={200: MembershipSerializer})
    def post(self, request: Request) -> Response:
        token = _valid_invitation_token(request)
        profile = invitations.invitation_accept(token=token, user=signed_in_user(request), ip=client_ip(request))
        return Response(MembershipSerializer(profile).data)


class InvitationAcceptNewView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(request=s.InvitationAcceptNewSerializer, responses={201: LoginResponseSerializer})
    def post(self, request: Request) -> Response:
        enforce(INVITATION_LIMIT, client_ip(request))
        data = _valid(s.InvitationAcceptNewSerializer, request)
        enforce(INVITATION_TOKEN_LIMIT, hashed_key(data["token"]))
        joined = invitations.invitation_accept_new(ip=client_ip(request), **data)
        body = {
            "user": UserSerializer(joined.user).data,
            "memberships": MembershipSerializer([joined.profile], many=True).data,
            "tokens": joined.tokens,
        }
        return Response(body, status=status.HTTP_201_CREATED)


# --- API keys and audit -----------------------------------------------------------------------------------------


class ApiKeyListView(OrgViewMixin, ListAPIView):
    queryset = ApiKey.objects.none()  # for the schema generator; get_queryset scopes to the org
    serializer_class = s.ApiKeySerializer

    def get_queryset(self) -> Any:
        return api_keys.api_keys_of(self.org)

    @extend_schema(request=s.ApiKeyCreateSerializer, responses={201: s.ApiKeyCreatedSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(s.ApiKeyCreateSerializer, request)
        context = _ctx(request)
        issued = api_keys.api_key_create(org=context["org"], actor=context["actor"], **data)
        from tenants.audit import audit_from_request

        audit_from_request(request, action="api_key_created", target_type="api_key", target_id=issued.api_key.pk,
                           details={"name": issued.api_key.name, "role": issued.api_key.role})  # fmt: skip
        body = {**s.ApiKeySerializer(issued.api_key).data, "key": issued.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyRevokeView(OrgViewMixin, APIView):
    @extend_schema(request=None, responses={200: s.ApiKeySerializer})
    def post(self, request: Request, key_id: Any) -> Response:
        api_key = api_keys.api_key_revoke(org=self.org, key_id=key_id)
        from tenants.audit import audit_from_request

        audit_from_request(request, action="api_key_revoked", target_type="api_key", target_id=api_key.pk)
        return Response(s.ApiKeySerializer(api_key).data)


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
        queryset = AuditEvent.objects.filter(org_id=self.org.pk)
        params = self.request.query_params
        if params.get("action"):
            queryset = queryset.filter(action=params["action"])
        if params.get("actor"):
            queryset = queryset.filter(actor_user_id=_uuid_or_400("actor", params["actor"]))
        for name, lookup in (("since", "created_at__gte"), ("until", "created_at__lt")):
            if params.get(name):
                moment = parse_datetime(params[name])
                if moment is None:
                    raise ApiError(
                        "Use an ISO-8601 date and time.",
                        code="invalid",
                        fields={name: [{"code": "invalid", "detail": "Not a date-time."}]},
                    )
                queryset = queryset.filter(**{lookup: moment})
        return queryset


def _uuid_or_400(name: str, value: str) -> Any:
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApiError(
            "Not a valid id.", code="invalid", fields={name: [{"code": "invalid", "detail": "Not a UUID."}]}
        ) from None


urlpatterns = [
    path("org/", OrgView.as_view(), name="org"),
    path("org/logo/", OrgLogoView.as_view(), name="org-logo"),
    path("org/transfer-ownership/", OwnershipTransferView.as_view(), name="org-transfer-ownership"),
    path("org/delete/", OrgDeletionView.as_view(), name="org-delete"),
    path("org/leave/", LeaveView.as_view(), name="org-leave"),
    path("orgs/<uuid:org_id>/deletion/cancel/", OrgDeletionCancelView.as_view(), name="org-deletion-cancel"),
    path("org/members/", MemberListView.as_view(), name="members"),
    path("org/members/<uuid:profile_id>/", MemberDetailView.as_view(), name="member-detail"),
    path("org/members/<uuid:profile_id>/deactivate/", MemberDeactivateView.as_view(), name="member-deactivate"),
    path("org/members/<uuid:profile_id>/reactivate/", MemberReactivateView.as_view(), name="member-reactivate"),
    path("org/members/<uuid:profile_id>/remove/", MemberRemoveView.as_view(), name="member-remove"),
    path("org/members/<uuid:profile_id>/reassign/", MemberReassignView.as_view(), name="member-reassign"),
    path("org/invitations/", InvitationListView.as_view(), name="invitations"),
    path("org/invitations/<uuid:invitation_id>/resend/", InvitationResendView.as_view(), name="invitation-resend"),
    path("org/invitations/<uuid:invitation_id>/revoke/", InvitationRevokeView.as_view(), name="invitation-revoke"),
    path("invitations/preview/", InvitationPreviewView.as_view(), name="invitation-preview"),
    path("invitations/accept/", InvitationAcceptView.as_view(), name="invitation-accept"),
    path("invitations/accept-new/", InvitationAcceptNewView.as_view(), name="invitation-accept-new"),
    path("org/api-keys/", ApiKeyListView.as_view(), name="api-keys"),
    path("org/api-keys/<uuid:key_id>/revoke/", ApiKeyRevokeView.as_view(), name="api-key-revoke"),
    path("org/audit/", AuditListView.as_view(), name="org-audit"),
]

ANYONE, SIGNED_IN = Audience.ANYONE, Audience.AUTHENTICATED

ROUTES = {
    "org": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": ADMINS}),
    "org-logo": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PUT": ADMINS, "DELETE": ADMINS}),
    "org-transfer-ownership": RouteAccess(Scope.TENANT, {"POST": OWNERS}),
    "org-delete": RouteAccess(Scope.TENANT, {"POST": OWNERS}),
    "org-leave": RouteAccess(Scope.TENANT, {"POST": ALL_ROLES}),
    "org-deletion-cancel": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}, reason="the service checks ownership"),
    "members": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "member-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": ADMINS}),
    "member-deactivate": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "member-reactivate": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "member-remove": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "member-reassign": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "invitations": RouteAccess(Scope.TENANT, {"GET": ADMINS, "POST": ADMINS}),
    "invitation-resend": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "invitation-revoke": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "invitation-preview": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "invitation-accept": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "invitation-accept-new": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "api-keys": RouteAccess(Scope.TENANT, {"GET": ADMINS, "POST": ADMINS}),
    "api-key-revoke": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "org-audit": RouteAccess(Scope.TENANT, {"GET": ADMINS}),
}
