"""Two-factor authentication API: status, enrolment, confirmation, disabling, recovery codes, login second step."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.access import Audience, RouteAccess, Scope
from common.throttling import client_ip
from tenants import two_factor
from tenants.pipeline.authentication import signed_in_user
from tenants.serializers import LoginResponseSerializer, TokenPairSerializer
from tenants.views import _me_payload

# --- Shapes ------------------------------------------------------------------------------------------------------


class TwoFactorStatusSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    enabled_at = serializers.DateTimeField(allow_null=True)
    pending = serializers.BooleanField(help_text="An enrolment is waiting for its first code.")
    recovery_codes_remaining = serializers.IntegerField()


class TwoFactorEnrolmentSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32 TOTP secret, for apps that cannot scan the QR code.")
    otpauth_uri = serializers.CharField()
    qr_png_base64 = serializers.CharField(help_text="The otpauth URI as a QR code: a base64 PNG.")


class TwoFactorCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32, help_text="A six-digit code from the authenticator app.")


class TwoFactorCodeOrRecoverySerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32, help_text="A six-digit code, or one of the recovery codes.")


class TwoFactorConfirmedSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(), help_text="Shown once; each signs in once without the app."
    )
    tokens = TokenPairSerializer(help_text="Fresh tokens: every token issued before is revoked.")


class TwoFactorRecoveryCodesSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField())


class TwoFactorDisabledSerializer(serializers.Serializer):
    orgs_requiring_two_factor = serializers.ListField(
        child=serializers.CharField(),
        help_text="Slugs of your orgs that require 2FA: they refuse you until you enrol again.",
    )


class TwoFactorLoginSerializer(serializers.Serializer):
    challenge = serializers.CharField(max_length=1024)
    code = serializers.CharField(max_length=32, required=False)
    recovery_code = serializers.CharField(max_length=32, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("code" in attrs) == ("recovery_code" in attrs):
            raise serializers.ValidationError(
                {"code": [serializers.ErrorDetail("Send either a code or a recovery code.", code="required")]}
            )
        return attrs


def _valid(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- Views -------------------------------------------------------------------------------------------------------


class TwoFactorStatusView(APIView):
    @extend_schema(responses={200: TwoFactorStatusSerializer})
    def get(self, request: Request) -> Response:
        return Response(TwoFactorStatusSerializer(two_factor.two_factor_status(user=signed_in_user(request))).data)


class TwoFactorEnrolView(APIView):
    @extend_schema(request=None, responses={200: TwoFactorEnrolmentSerializer})
    def post(self, request: Request) -> Response:
        enrolment = two_factor.two_factor_enrol(user=signed_in_user(request))
        body = {
            "secret": enrolment.secret,
            "otpauth_uri": enrolment.otpauth_uri,
            "qr_png_base64": two_factor.qr_png_base64(enrolment.qr_png),
        }
        return Response(body)


class TwoFactorQrView(APIView):
    @extend_schema(operation_id="auth_2fa_qr_png", responses={(200, "image/png"): OpenApiTypes.BINARY})
    def get(self, request: Request) -> HttpResponse:
        png = two_factor.pending_qr_png(user=signed_in_user(request))
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "no-store"  # it carries the secret
        return response

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Errors stay JSON even for a client that only accepts image/png.
        return super().perform_content_negotiation(request, force=True)


class TwoFactorConfirmView(APIView):
    @extend_schema(request=TwoFactorCodeSerializer, responses={200: TwoFactorConfirmedSerializer})
    def post(self, request: Request) -> Response:
        code = _valid(TwoFactorCodeSerializer, request)["code"]
        confirmation = two_factor.two_factor_confirm(
            user=signed_in_user(request), code=code, ip=client_ip(request)
        )
        return Response({"recovery_codes": confirmation.recovery_codes, "tokens": confirmation.tokens})


class TwoFactorDisableView(APIView):
    @extend_schema(request=TwoFactorCodeOrRecoverySerializer, responses={200: TwoFactorDisabledSerializer})
    def post(self, request: Request) -> Response:
        code = _valid(TwoFactorCodeOrRecoverySerializer, request)["code"]
        still_required = two_factor.two_factor_disable(
            user=signed_in_user(request), code=code, ip=client_ip(request)
        )
        return Response({"orgs_requiring_two_factor": still_required})


class TwoFactorRecoveryCodesView(APIView):
    @extend_schema(request=TwoFactorCodeOrRecoverySerializer, responses={200: TwoFactorRecoveryCodesSerializer})
    def post(self, request: Request) -> Response:
        code = _valid(TwoFactorCodeOrRecoverySerializer, request)["code"]
        codes = two_factor.two_factor_recovery_codes_regenerate(
            user=signed_in_user(request), code=code, ip=client_ip(request)
        )
        return Response({"recovery_codes": codes})


class TwoFactorLoginView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(request=TwoFactorLoginSerializer, responses={200: LoginResponseSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(TwoFactorLoginSerializer, request)
        user, tokens = two_factor.login_challenge_verify(ip=client_ip(request), **data)
        return Response({**_me_payload(user), "tokens": tokens})


urlpatterns = [
    path("auth/2fa/", TwoFactorStatusView.as_view(), name="auth-2fa"),
    path("auth/2fa/enrol/", TwoFactorEnrolView.as_view(), name="auth-2fa-enrol"),
    path("auth/2fa/qr.png", TwoFactorQrView.as_view(), name="auth-2fa-qr"),
    path("auth/2fa/confirm/", TwoFactorConfirmView.as_view(), name="auth-2fa-confirm"),
    path("auth/2fa/disable/", TwoFactorDisableView.as_view(), name="auth-2fa-disable"),
    path("auth/2fa/recovery-codes/", TwoFactorRecoveryCodesView.as_view(), name="auth-2fa-recovery-codes"),
    path("auth/login/2fa/", TwoFactorLoginView.as_view(), name="auth-login-2fa"),
]

ANYONE, SIGNED_IN = Audience.ANYONE, Audience.AUTHENTICATED

# Public scope on purpose: a member of an org that requires 2FA must reach these to enrol.
ROUTES = {
    "auth-2fa": RouteAccess(Scope.PUBLIC, {"GET": SIGNED_IN}),
    "auth-2fa-enrol": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "auth-2fa-qr": RouteAccess(Scope.PUBLIC, {"GET": SIGNED_IN}),
    "auth-2fa-confirm": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "auth-2fa-disable": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "auth-2fa-recovery-codes": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "auth-login-2fa": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}, reason="the challenge in the body is the proof"),
}
