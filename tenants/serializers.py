"""Request and response shapes of the onboarding, sign-in and org APIs."""

from __future__ import annotations

from rest_framework import serializers

from common.models import Profile, User
from tenants.models import Org


class UserSerializer(serializers.ModelSerializer):
    has_two_factor = serializers.BooleanField(read_only=True)
    email_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "name", "is_platform_admin", "email_verified", "has_two_factor", "date_joined"]
        read_only_fields = fields


class OrgSerializer(serializers.ModelSerializer):
    class Meta:
        model = Org
        fields = ["id", "name", "slug", "status", "created_at"]
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


class CurrentOrgSerializer(serializers.Serializer):
    org = OrgSerializer()
    role = serializers.CharField()
    profile_id = serializers.UUIDField()
