"""Sign-up, sign-in, tokens, the emailed links and two-factor authentication. Thin: validate, call, answer."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.models import User
from common.openapi import GONE
from common.throttling import Limit, client_ip, enforce, hashed_key
from common.validation import validated
from tenants.accounts import email_links, serializers, services, two_factor
from tenants.accounts.selectors import memberships_for_user
from tenants.accounts.two_factor import LoginChallenge
from tenants.orgs.serializers import OrgSerializer
from tenants.pipeline.authentication import signed_in_user

LOGIN_PER_IP = Limit("login_ip", 30, 300)
LOGIN_PER_EMAIL = Limit("login_email", 10, 300)
REGISTER_PER_IP = Limit("register_ip", 10, 3600)
REGISTER_PER_EMAIL = Limit("register_email", 5, 3600)

NO_CONTENT = OpenApiResponse(description="Done; no content.")
RESET_REQUESTED = "If an account with this email exists, we sent it a link to reset the password."


def _me_payload(user: User) -> dict[str, object]:
    return {
        "user": serializers.UserSerializer(user).data,
        "memberships": serializers.MembershipSerializer(memberships_for_user(user), many=True).data,
    }


# --- Sign-up, sign-in and tokens --------------------------------------------------------------------------------


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
        registration = services.account_register(**validated(serializers.RegisterRequestSerializer, request.data))
        body = {
            "user": serializers.UserSerializer(registration.user).data,
            "org": OrgSerializer(registration.org).data,
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
        data = validated(serializers.LoginRequestSerializer, request.data)
        # Counted before the password is checked: once locked, even the right password waits.
        enforce(LOGIN_PER_IP, client_ip(request))
        enforce(LOGIN_PER_EMAIL, data["email"].strip().lower())
        user, result = services.auth_login(**data)
        if isinstance(result, LoginChallenge):
            return Response(
                {"two_factor_required": True, "challenge": result.token, "challenge_expires_in": result.expires_in}
            )
        return Response({**_me_payload(user), "tokens": result})


class RefreshView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(request=serializers.RefreshRequestSerializer, responses={200: serializers.TokenPairSerializer})
    def post(self, request: Request) -> Response:
        refresh = validated(serializers.RefreshRequestSerializer, request.data)["refresh"]
        return Response(services.auth_refresh(refresh=refresh))


class LogoutView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(request=serializers.RefreshRequestSerializer, responses={204: NO_CONTENT})
    def post(self, request: Request) -> Response:
        services.auth_logout(refresh=validated(serializers.RefreshRequestSerializer, request.data)["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    @extend_schema(
        request=serializers.PasswordChangeRequestSerializer, responses={200: serializers.TokenPairSerializer}
    )
    def post(self, request: Request) -> Response:
        data = validated(serializers.PasswordChangeRequestSerializer, request.data)
        tokens = services.password_change(user=signed_in_user(request), **data)
        return Response(tokens)


class MeView(APIView):
    @extend_schema(responses={200: serializers.MeSerializer})
    def get(self, request: Request) -> Response:
        return Response(_me_payload(signed_in_user(request)))


# --- Email verification and password reset ----------------------------------------------------------------------


class EmailVerifyView(APIView):
    # The link may be opened on any device, signed in or not (or with an expired token): the token is enough.
    authentication_classes: list[type] = []

    @extend_schema(
        request=serializers.EmailVerifyRequestSerializer,
        responses={200: serializers.EmailVerifiedSerializer, 410: GONE},
    )
    def post(self, request: Request) -> Response:
        token = validated(serializers.EmailVerifyRequestSerializer, request.data)["token"]
        user = email_links.email_verify(token=token)
        return Response({"email": user.email, "email_verified": user.email_verified})


class EmailVerifyResendView(APIView):
    @extend_schema(request=None, responses={202: serializers.EmailSentSerializer})
    def post(self, request: Request) -> Response:
        email_links.email_verification_resend(user=request.user)  # type: ignore[arg-type]
        body = {"detail": f"We sent a new verification link to {request.user.email}."}  # type: ignore[union-attr]
        return Response(body, status=status.HTTP_202_ACCEPTED)


class PasswordResetView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(
        request=serializers.PasswordResetRequestSerializer, responses={202: serializers.EmailSentSerializer}
    )
    def post(self, request: Request) -> Response:
        email = validated(serializers.PasswordResetRequestSerializer, request.data)["email"]
        email_links.password_reset_request(email=email, ip=client_ip(request))
        return Response({"detail": RESET_REQUESTED}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(
        request=serializers.PasswordResetConfirmSerializer,
        responses={
            204: OpenApiResponse(description="The password is set; every earlier session is signed out."),
            410: GONE,
        },
    )
    def post(self, request: Request) -> Response:
        email_links.password_reset_confirm(**validated(serializers.PasswordResetConfirmSerializer, request.data))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Two-factor authentication ----------------------------------------------------------------------------------


class TwoFactorStatusView(APIView):
    @extend_schema(responses={200: serializers.TwoFactorStatusSerializer})
    def get(self, request: Request) -> Response:
        current = two_factor.two_factor_status(user=signed_in_user(request))
        return Response(serializers.TwoFactorStatusSerializer(current).data)


class TwoFactorEnrolView(APIView):
    @extend_schema(request=None, responses={200: serializers.TwoFactorEnrolmentSerializer})
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
    @extend_schema(
        request=serializers.TwoFactorCodeSerializer, responses={200: serializers.TwoFactorConfirmedSerializer}
    )
    def post(self, request: Request) -> Response:
        code = validated(serializers.TwoFactorCodeSerializer, request.data)["code"]
        confirmation = two_factor.two_factor_confirm(
            user=signed_in_user(request), code=code, ip=client_ip(request)
        )
        return Response({"recovery_codes": confirmation.recovery_codes, "tokens": confirmation.tokens})


class TwoFactorDisableView(APIView):
    @extend_schema(
        request=serializers.TwoFactorCodeOrRecoverySerializer,
        responses={200: serializers.TwoFactorDisabledSerializer},
    )
    def post(self, request: Request) -> Response:
        code = validated(serializers.TwoFactorCodeOrRecoverySerializer, request.data)["code"]
        still_required = two_factor.two_factor_disable(
            user=signed_in_user(request), code=code, ip=client_ip(request)
        )
        return Response({"orgs_requiring_two_factor": still_required})


class TwoFactorRecoveryCodesView(APIView):
    @extend_schema(
        request=serializers.TwoFactorCodeOrRecoverySerializer,
        responses={200: serializers.TwoFactorRecoveryCodesSerializer},
    )
    def post(self, request: Request) -> Response:
        code = validated(serializers.TwoFactorCodeOrRecoverySerializer, request.data)["code"]
        codes = two_factor.two_factor_recovery_codes_regenerate(
            user=signed_in_user(request), code=code, ip=client_ip(request)
        )
        return Response({"recovery_codes": codes})


class TwoFactorLoginView(APIView):
    authentication_classes: list[type] = []

    @extend_schema(
        request=serializers.TwoFactorLoginSerializer, responses={200: serializers.LoginResponseSerializer}
    )
    def post(self, request: Request) -> Response:
        data = validated(serializers.TwoFactorLoginSerializer, request.data)
        user, tokens = two_factor.login_challenge_verify(ip=client_ip(request), **data)
        return Response({**_me_payload(user), "tokens": tokens})
