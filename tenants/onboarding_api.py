"""Email verification and password reset over the API: request shapes, thin views, routes and their access."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.access import Audience, RouteAccess, Scope
from common.throttling import client_ip
from tenants import onboarding

ANYONE, SIGNED_IN = Audience.ANYONE, Audience.AUTHENTICATED

RESET_REQUESTED = "If an account with this email exists, we sent it a link to reset the password."


class EmailVerifyRequestSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, trim_whitespace=True)


class EmailVerifiedSerializer(serializers.Serializer):
    email = serializers.EmailField()
    email_verified = serializers.BooleanField()


class EmailSentSerializer(serializers.Serializer):
    detail = serializers.CharField()


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, trim_whitespace=True)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, str]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class EmailVerifyView(APIView):
    # The link may be opened on any device, signed in or not (or with an expired token): the token is enough.
    authentication_classes: list[type] = []

    @extend_schema(request=EmailVerifyRequestSerializer, responses={200: EmailVerifiedSerializer})
    def post(self, request: Request) -> Response:
        user = onboarding.email_verify(token=_valid(EmailVerifyRequestSerializer, request)["token"])
        return Response({"email": user.email, "email_verified": user.email_verified})


class EmailVerifyResendView(APIView):
    @extend_schema(request=None, responses={202: EmailSentSerializer})
    def post(self, request: Request) -> Response:
        onboarding.email_verification_resend(user=request.user)  # type: ignore[arg-type]
        body = {"detail": f"We sent a new verification link to {request.user.email}."}  # type: ignore[union-attr]
        return Response(body, status=status.HTTP_202_ACCEPTED)


class PasswordResetView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(request=PasswordResetRequestSerializer, responses={202: EmailSentSerializer})
    def post(self, request: Request) -> Response:
        email = _valid(PasswordResetRequestSerializer, request)["email"]
        onboarding.password_reset_request(email=email, ip=client_ip(request))
        return Response({"detail": RESET_REQUESTED}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={204: OpenApiResponse(description="The password is set; every earlier session is signed out.")},
    )
    def post(self, request: Request) -> Response:
        onboarding.password_reset_confirm(**_valid(PasswordResetConfirmSerializer, request))
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("auth/email/verify/", EmailVerifyView.as_view(), name="auth-email-verify"),
    path("auth/email/verify/resend/", EmailVerifyResendView.as_view(), name="auth-email-verify-resend"),
    path("auth/password/reset/", PasswordResetView.as_view(), name="auth-password-reset"),
    path("auth/password/reset/confirm/", PasswordResetConfirmView.as_view(), name="auth-password-reset-confirm"),
]

ROUTES = {
    "auth-email-verify": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "auth-email-verify-resend": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "auth-password-reset": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "auth-password-reset-confirm": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
}
