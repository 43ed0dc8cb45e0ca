"""Request and response shapes of the members, invitations and API keys APIs."""

from __future__ import annotations

from rest_framework import serializers

from common.models import Profile, Role
from tenants.models import ApiKey, Invitation
from tenants.orgs.serializers import ReauthenticationSerializer


class ProfileIdSerializer(serializers.Serializer):
    profile_id = serializers.UUIDField()


class OwnershipTransferSerializer(ProfileIdSerializer, ReauthenticationSerializer):
    pass


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.name", read_only=True)
    user_id = serializers.UUIDField(read_only=True)
    is_removed = serializers.SerializerMethodField()

    class Meta:
        model = Profile
        fields = ["id", "user_id", "email", "name", "role", "is_active", "is_removed", "removed_at", "joined_at"]
        read_only_fields = fields

    def get_is_removed(self, profile: Profile) -> bool:
        return profile.removed_at is not None


class RoleChangeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class ReassignSerializer(serializers.Serializer):
    reassign_to = serializers.UUIDField()


class RemoveMemberSerializer(serializers.Serializer):
    reassign_to = serializers.UUIDField(required=False)


class ReassignResultSerializer(serializers.Serializer):
    reassigned = serializers.DictField(child=serializers.IntegerField())


class InvitationSerializer(serializers.ModelSerializer):
    invited_by = serializers.EmailField(source="invited_by.user.email", read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = [
            "id", "email", "role", "status", "invited_by", "created_at", "last_sent_at", "expires_at",
            "accepted_at", "revoked_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_status(self, invitation: Invitation) -> str:
        if invitation.accepted_at:
            return "accepted"
        if invitation.revoked_at:
            return "revoked"
        return "pending" if invitation.is_pending else "expired"


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationTokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)


class InvitationPreviewSerializer(serializers.Serializer):
    org_name = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.CharField()
    has_account = serializers.BooleanField()
    expires_at = serializers.DateTimeField()


class InvitationAcceptNewSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)
    name = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class ApiKeySerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.user.email", read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id", "name", "role", "prefix", "created_by", "created_at", "expires_at", "revoked_at", "last_used_at",
        ]  # fmt: skip
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=Role.choices)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The whole key. It is shown only this once.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields
