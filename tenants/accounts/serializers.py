"""Request and response shapes of sign-up, sign-in, tokens, the emailed links and two-factor authentication."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from common.models import Profile, User
from tenants.orgs.serializers import OrgSerializer


class UserSerializer(serializers.ModelSerializer):
    has_two_factor = serializers.BooleanField(read_only=True)
    email_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "name", "is_platform_admin", "email_verified", "has_two_factor", "date_joined"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    org = OrgSerializer(read_only=True)

    class Meta:
        model = Profile
        fields = ["id", "org", "role", "is_active", "joined_at"]
        read_only_fields = fields


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RegisterRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    name = serializers.CharField(max_length=150)
    org_name = serializers.CharField(max_length=200)


class RegisterResponseSerializer(serializers.Serializer):
    user = UserSerializer()
    org = OrgSerializer()
    role = serializers.CharField()
    tokens = TokenPairSerializer()


class LoginRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class MeSerializer(serializers.Serializer):
    user = UserSerializer()
    memberships = MembershipSerializer(many=True)


class LoginResponseSerializer(MeSerializer):
    tokens = TokenPairSerializer()


class LoginChallengeSerializer(serializers.Serializer):
    """The password was right and 2FA is on: send the challenge and a code to /api/auth/login/2fa/."""

    two_factor_required = serializers.BooleanField()
    challenge = serializers.CharField()
    challenge_expires_in = serializers.IntegerField(help_text="Seconds until the challenge expires.")


class RefreshRequestSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class PasswordChangeRequestSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


# --- Email verification and password reset ----------------------------------------------------------------------


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


# --- Two-factor authentication ----------------------------------------------------------------------------------


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
