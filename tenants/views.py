"""Onboarding, sign-in, tokens and the current org. Thin: each view validates, calls a service, answers."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.models import User
from common.throttling import Limit, client_ip, enforce, hashed_key
from tenants import serializers, services
from tenants.pipeline.authentication import signed_in_user
from tenants.selectors import memberships_for_user
from tenants.two_factor import LoginChallenge

LOGIN_PER_IP = Limit("login_ip", 30, 300)
LOGIN_PER_EMAIL = Limit("login_email", 10, 300)
REGISTER_PER_IP = Limit("register_ip", 10, 3600)
REGISTER_PER_EMAIL = Limit("register_email", 5, 3600)

NO_CONTENT = OpenApiResponse(description="Done; no content.")


def _me_payload(user: User) -> dict[str, object]:
    return {
        "user": serializers.UserSerializer(user).data,
        "memberships": serializers.MembershipSerializer(memberships_for_user(user), many=True).data,
    }


class RegisterView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(
        request=serializers.RegisterRequestSerializer, responses={201: serializers.RegisterResponseSerializer}
    )
    def post(self, request: Request) -> Response:
        enforce(REGISTER_PER_IP, client_ip(request))
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if isinstance(email, str) and email.strip():
            enforce(REGISTER_PER_EMAIL, hashed_key(email))
        data = serializers.RegisterRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = services.account_register(**data.validated_data)
        body = {
            "user": serializers.UserSerializer(registration.user).data,
            "org": serializers.OrgSerializer(registration.org).data,
            "role": registration.profile.role,
            "tokens": registration.tokens,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(
        request=serializers.LoginRequestSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="LoginResult",
                serializers=[serializers.LoginResponseSerializer, serializers.LoginChallengeSerializer],
                resource_type_field_name=None,
            )
        },
        description="Tokens, or (2FA on) a challenge to send with a code to /api/auth/login/2fa/.",
    )
    def post(self, request: Request) -> Response:
        data = serializers.LoginRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Counted before the password is checked: once locked, even the right password waits.
        enforce(LOGIN_PER_IP, client_ip(request))
        enforce(LOGIN_PER_EMAIL, data.validated_data["email"].strip().lower())
        user, result = services.auth_login(**data.validated_data)
        if isinstance(result, LoginChallenge):
            return Response(
                {"two_factor_required": True, "challenge": result.token, "challenge_expires_in": result.expires_in}
            )
        return Response({**_me_payload(user), "tokens": result})


class RefreshView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(request=serializers.RefreshRequestSerializer, responses={200: serializers.TokenPairSerializer})
    def post(self, request: Request) -> Response:
        data = serializers.RefreshRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.auth_refresh(refresh=data.validated_data["refresh"]))


class LogoutView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(request=serializers.RefreshRequestSerializer, responses={204: NO_CONTENT})
    def post(self, request: Request) -> Response:
        data = serializers.RefreshRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.auth_logout(refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    @extend_schema(
        request=serializers.PasswordChangeRequestSerializer, responses={200: serializers.TokenPairSerializer}
    )
    def post(self, request: Request) -> Response:
        data = serializers.PasswordChangeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.password_change(user=signed_in_user(request), **data.validated_data)
        return Response(tokens)


class MeView(APIView):
    @extend_schema(responses={200: serializers.MeSerializer})
    def get(self, request: Request) -> Response:
        return Response(_me_payload(signed_in_user(request)))
