"""Request and response shapes of the org settings, members, invitations, API keys and audit APIs."""

from __future__ import annotations

from typing import Any

from PIL import Image, UnidentifiedImageError
from rest_framework import serializers

from common.models import Profile, Role
from tenants.members import DATE_FORMATS
from tenants.models import ApiKey, AuditEvent, Invitation, Org

LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_PIXELS = 4096
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}


class OrgDetailSerializer(serializers.ModelSerializer):
    logo_url = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()
    profile_id = serializers.SerializerMethodField()

    class Meta:
        model = Org
        fields = [
            "id", "name", "slug", "status", "timezone", "currency", "date_format", "requires_two_factor",
            "logo_url", "deletion_scheduled_for", "created_at", "role", "profile_id",
        ]  # fmt: skip
        read_only_fields = fields

    def get_logo_url(self, org: Org) -> str | None:
        return "/api/org/logo/" if org.logo else None

    def get_role(self, org: Org) -> str:
        return str(self.context["profile"].role)

    def get_profile_id(self, org: Org) -> str:
        return str(self.context["profile"].pk)


class OrgSettingsSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    date_format = serializers.ChoiceField(choices=DATE_FORMATS, required=False)
    requires_two_factor = serializers.BooleanField(required=False)


class LogoUploadSerializer(serializers.Serializer):
    logo = serializers.FileField()

    def validate_logo(self, upload: Any) -> Any:
        """Checked by content, not by name or declared type."""
        if upload.size > LOGO_MAX_BYTES:
            raise serializers.ValidationError("The logo must be at most 2 MB.", code="file_too_large")
        try:
            with Image.open(upload) as image:
                image.verify()
            upload.seek(0)
            with Image.open(upload) as image:
                kind, (width, height) = image.format, image.size
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise serializers.ValidationError(
                "Upload a PNG, JPEG, WebP or GIF image.", code="invalid_image"
            ) from None
        if kind not in LOGO_FORMATS:
            raise serializers.ValidationError("Upload a PNG, JPEG, WebP or GIF image.", code="invalid_image")
        if width > LOGO_MAX_PIXELS or height > LOGO_MAX_PIXELS:
            raise serializers.ValidationError(
                "The logo must be at most 4096 x 4096 pixels.", code="image_too_large"
            )
        upload.seek(0)
        upload.name = f"logo.{LOGO_FORMATS[kind]}"
        return upload


class ConfirmDeletionSerializer(serializers.Serializer):
    confirm = serializers.CharField(help_text="The org's slug, typed to confirm.")


class ProfileIdSerializer(serializers.Serializer):
    profile_id = serializers.UUIDField()


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


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id", "action", "actor_user_id", "actor_email", "impersonator_user_id", "target_type", "target_id",
            "details", "ip", "created_at",
        ]  # fmt: skip
        read_only_fields = fields
