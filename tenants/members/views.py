"""Members, invitations and API keys over the API, and the org's ownership. Thin: validate, call, answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.access import ADMINS
from common.errors import field_error
from common.filtering import query_flag
from common.models import Profile, Role
from common.openapi import GONE
from common.throttling import Limit, client_ip, enforce, hashed_key
from common.validation import validated
from tenants.accounts.serializers import LoginResponseSerializer, MembershipSerializer, UserSerializer
from tenants.audit import audit_from_request
from tenants.members import api_keys, invitations, selectors, services
from tenants.members import serializers as s
from tenants.models import ApiKey, Invitation
from tenants.orgs.serializers import REAUTHENTICATION_REFUSED
from tenants.orgs.views import acting
from tenants.pipeline.authentication import signed_in_user
from tenants.pipeline.context import OrgViewMixin

NO_CONTENT = OpenApiResponse(description="Done; no content.")
INVITATION_LIMIT = Limit("invitation_ip", 30, 300)
# Each invitation is for one email, so its token stands for that email; this also caps guesses spread over IPs.
INVITATION_TOKEN_LIMIT = Limit("invitation_token", 10, 300)


def _valid_invitation_token(request: Request) -> str:
    """The token of an invitation request, counted per IP before it is read and per token after."""
    enforce(INVITATION_LIMIT, client_ip(request))
    token = str(validated(s.InvitationTokenSerializer, request.data)["token"])
    enforce(INVITATION_TOKEN_LIMIT, hashed_key(token))
    return token


# --- Ownership and leaving --------------------------------------------------------------------------------------


class OwnershipTransferView(APIView):
    @extend_schema(
        request=s.OwnershipTransferSerializer,
        responses={200: s.MemberSerializer, 403: REAUTHENTICATION_REFUSED},
        description="Hand ownership to another active member; you become an admin. Confirm with your password, "
        "or a 2FA code.",
    )
    def post(self, request: Request) -> Response:
        data = validated(s.OwnershipTransferSerializer, request.data)
        profile_id = data.pop("profile_id")
        new_owner = services.org_ownership_transfer(to_profile_id=profile_id, **data, **acting(request))
        return Response(s.MemberSerializer(new_owner).data)


class LeaveView(OrgViewMixin, APIView):
    @extend_schema(request=None, responses={204: NO_CONTENT})
    def post(self, request: Request) -> Response:
        services.member_remove(profile_id=self.actor.pk, **acting(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Members ----------------------------------------------------------------------------------------------------


def _choice_param(request: Request, name: str, choices: Any) -> str | None:
    """A query parameter that must be one of `choices`: absent is None, anything else a 400 naming them."""
    value = request.query_params.get(name)
    if value is None:
        return None
    if value not in choices:
        raise field_error(name, "invalid_choice", f"{value!r} is not one of: {', '.join(choices)}.")
    return value


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
        include_removed = query_flag(request, "removed") and profile.role in ADMINS
        queryset = selectors.members_of(self.org, include_removed=include_removed)
        if term := request.query_params.get("search", "").strip():
            queryset = selectors.members_search(queryset, term)
        if role := _choice_param(request, "role", Role.values):
            queryset = queryset.filter(role=role)
        if (is_active := _choice_param(request, "is_active", ("true", "false"))) is not None:
            queryset = queryset.filter(is_active=is_active == "true")
        return queryset


class MemberDetailView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.MemberSerializer})
    def get(self, request: Request, profile_id: Any) -> Response:
        return Response(s.MemberSerializer(selectors.member_get(org=self.org, profile_id=profile_id)).data)

    # The role is the one thing a member's PATCH changes, so it is required even in a PATCH (drf-spectacular
    # would document every field of a PATCH body as optional).
    @extend_schema(
        request={
            "application/json": {
                "type": "object",
                "properties": {"role": {"$ref": "#/components/schemas/RoleEnum"}},
                "required": ["role"],
            }
        },
        responses={200: s.MemberSerializer},
    )
    def patch(self, request: Request, profile_id: Any) -> Response:
        role = validated(s.RoleChangeSerializer, request.data)["role"]
        profile = services.member_role_change(profile_id=profile_id, role=role, **acting(request))
        return Response(s.MemberSerializer(profile).data)


class MemberDeactivateView(APIView):
    is_active = False

    @extend_schema(request=None, responses={200: s.MemberSerializer})
    def post(self, request: Request, profile_id: Any) -> Response:
        profile = services.member_set_active(profile_id=profile_id, is_active=self.is_active, **acting(request))
        return Response(s.MemberSerializer(profile).data)


class MemberReactivateView(MemberDeactivateView):
    is_active = True


class MemberRemoveView(APIView):
    @extend_schema(request=s.RemoveMemberSerializer, responses={200: s.ReassignResultSerializer})
    def post(self, request: Request, profile_id: Any) -> Response:
        reassign_to = validated(s.RemoveMemberSerializer, request.data).get("reassign_to")
        reassigned = services.member_remove(profile_id=profile_id, reassign_to=reassign_to, **acting(request))
        return Response({"reassigned": reassigned})


class MemberReassignView(APIView):
    @extend_schema(request=s.ReassignSerializer, responses={200: s.ReassignResultSerializer})
    def post(self, request: Request, profile_id: Any) -> Response:
        reassign_to = validated(s.ReassignSerializer, request.data)["reassign_to"]
        reassigned = services.member_reassign_records(
            profile_id=profile_id, reassign_to=reassign_to, **acting(request)
        )
        return Response({"reassigned": reassigned})


# --- Invitations ------------------------------------------------------------------------------------------------


class InvitationListView(OrgViewMixin, ListAPIView):
    queryset = Invitation.objects.none()  # for the schema generator; get_queryset scopes to the org
    serializer_class = s.InvitationSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status", str, enum=list(invitations.INVITATION_STATUSES), description="Default: pending."
            )
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        wanted = _choice_param(self.request, "status", invitations.INVITATION_STATUSES) or "pending"
        return invitations.invitations_in_status(self.org, wanted)

    @extend_schema(request=s.InvitationCreateSerializer, responses={201: s.InvitationSerializer})
    def post(self, request: Request) -> Response:
        data = validated(s.InvitationCreateSerializer, request.data)
        invitation = invitations.invitation_create(email=data["email"], role=data["role"], **acting(request))
        return Response(s.InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationResendView(APIView):
    @extend_schema(request=None, responses={200: s.InvitationSerializer, 410: GONE})
    def post(self, request: Request, invitation_id: Any) -> Response:
        return Response(
            s.InvitationSerializer(
                invitations.invitation_resend(invitation_id=invitation_id, **acting(request))
            ).data
        )


class InvitationRevokeView(APIView):
    @extend_schema(request=None, responses={200: s.InvitationSerializer})
    def post(self, request: Request, invitation_id: Any) -> Response:
        return Response(
            s.InvitationSerializer(
                invitations.invitation_revoke(invitation_id=invitation_id, **acting(request))
            ).data
        )


class InvitationPreviewView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(request=s.InvitationTokenSerializer, responses={200: s.InvitationPreviewSerializer, 410: GONE})
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

    @extend_schema(request=s.InvitationTokenSerializer, responses={200: MembershipSerializer, 410: GONE})
    def post(self, request: Request) -> Response:
        token = _valid_invitation_token(request)
        profile = invitations.invitation_accept(token=token, user=signed_in_user(request), ip=client_ip(request))
        return Response(MembershipSerializer(profile).data)


class InvitationAcceptNewView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(request=s.InvitationAcceptNewSerializer, responses={201: LoginResponseSerializer, 410: GONE})
    def post(self, request: Request) -> Response:
        enforce(INVITATION_LIMIT, client_ip(request))
        data = validated(s.InvitationAcceptNewSerializer, request.data)
        enforce(INVITATION_TOKEN_LIMIT, hashed_key(data["token"]))
        joined = invitations.invitation_accept_new(ip=client_ip(request), **data)
        body = {
            "user": UserSerializer(joined.user).data,
            "memberships": MembershipSerializer([joined.profile], many=True).data,
            "tokens": joined.tokens,
        }
        return Response(body, status=status.HTTP_201_CREATED)


# --- API keys ----------------------------------------------------------------------------------------------------


class ApiKeyListView(OrgViewMixin, ListAPIView):
    queryset = ApiKey.objects.none()  # for the schema generator; get_queryset scopes to the org
    serializer_class = s.ApiKeySerializer

    def get_queryset(self) -> Any:
        return api_keys.api_keys_of(self.org)

    @extend_schema(request=s.ApiKeyCreateSerializer, responses={201: s.ApiKeyCreatedSerializer})
    def post(self, request: Request) -> Response:
        data = validated(s.ApiKeyCreateSerializer, request.data)
        issued = api_keys.api_key_create(org=self.org, actor=self.actor, **data)
        audit_from_request(request, action="api_key_created", target_type="api_key", target_id=issued.api_key.pk,
                           details={"name": issued.api_key.name, "role": issued.api_key.role})  # fmt: skip
        body = {**s.ApiKeySerializer(issued.api_key).data, "key": issued.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyRevokeView(OrgViewMixin, APIView):
    @extend_schema(request=None, responses={200: s.ApiKeySerializer})
    def post(self, request: Request, key_id: Any) -> Response:
        api_key = api_keys.api_key_revoke(org=self.org, key_id=key_id)
        audit_from_request(request, action="api_key_revoked", target_type="api_key", target_id=api_key.pk)
        return Response(s.ApiKeySerializer(api_key).data)
