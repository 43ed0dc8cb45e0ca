"""Request and response shapes of the org: its summary and details, settings, logo, deletion and audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from common.fields import CurrencyField, TimeZoneField
from common.images import ImageRefused, image_inspect
from common.models import Role
from tenants.models import AuditEvent, Org
from tenants.orgs.services import DATE_FORMATS

LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_PIXELS = 4096
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}


class OrgSerializer(serializers.ModelSerializer):
    class Meta:
        model = Org
        fields = ["id", "name", "slug", "status", "created_at"]
        read_only_fields = fields


class OrgDetailSerializer(serializers.ModelSerializer):
    logo_url = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()
    profile_id = serializers.SerializerMethodField()

    class Meta:
        model = Org
        fields = [
            "id", "name", "slug", "status", "timezone", "currency", "date_format", "requires_two_factor",
            "export_min_role", "language", "public_origins", "logo_url", "deletion_scheduled_for", "created_at",
            "role", "profile_id",
        ]  # fmt: skip
        read_only_fields = fields

    def get_logo_url(self, org: Org) -> str | None:
        return "/api/org/logo/" if org.logo else None

    def get_role(self, org: Org) -> str:
        return str(self.context["profile"].role)

    def get_profile_id(self, org: Org) -> str:
        return str(self.context["profile"].pk)


@extend_schema_field({"type": "string", "enum": list(settings.AI_LANGUAGES)})
class LanguageField(serializers.CharField):
    """One of the languages AI copy is written in (settings.AI_LANGUAGES; the service checks it)."""


class OrgSettingsSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    slug = serializers.CharField(
        max_length=100,
        required=False,
        help_text="The org's address in the `org` header and public URLs; any script, transliterated. Links "
        "with the old slug stop working.",
    )
    timezone = TimeZoneField(max_length=64, required=False)
    currency = CurrencyField(max_length=3, required=False)
    date_format = serializers.ChoiceField(choices=DATE_FORMATS, required=False)
    requires_two_factor = serializers.BooleanField(required=False)
    export_min_role = serializers.ChoiceField(
        choices=Role.choices, required=False, help_text="The least role that may export record lists as CSV."
    )
    language = LanguageField(max_length=8, required=False, help_text="The language AI copy is written in.")
    public_origins = serializers.ListField(
        child=serializers.CharField(max_length=200),
        max_length=20,
        required=False,
        help_text="Websites (scheme://host[:port]) whose browsers may call the public listing API.",
    )


class LogoUploadSerializer(serializers.Serializer):
    logo = serializers.FileField()

    def validate_logo(self, upload: Any) -> Any:
        """Checked by content, not by name or declared type."""
        if upload.size > LOGO_MAX_BYTES:
            raise serializers.ValidationError("The logo must be at most 2 MB.", code="file_too_large")
        invalid = serializers.ValidationError("Upload a PNG, JPEG, WebP or GIF image.", code="invalid_image")
        too_large = serializers.ValidationError(
            "The logo must be at most 4096 x 4096 pixels.", code="image_too_large"
        )
        try:
            facts = image_inspect(upload, max_pixels=LOGO_MAX_PIXELS * LOGO_MAX_PIXELS)
        except ImageRefused as refused:
            raise (too_large if refused.code == "image_too_large" else invalid) from None
        if facts.format not in LOGO_FORMATS:
            raise invalid
        if facts.width > LOGO_MAX_PIXELS or facts.height > LOGO_MAX_PIXELS:
            raise too_large
        upload.seek(0)
        upload.name = f"logo.{LOGO_FORMATS[facts.format]}"
        return upload


REAUTHENTICATION_REFUSED = OpenApiResponse(
    description="Not allowed: the role (`permission_denied`), or the password or 2FA code sent to confirm is not "
    "correct (`reauthentication_failed`, naming the field); a missing one is a 400 `required`."
)


class ReauthenticationSerializer(serializers.Serializer):
    """The proof an irreversible step asks for: the password, or (with 2FA) a current code."""

    password = serializers.CharField(
        max_length=128, required=False, trim_whitespace=False, write_only=True,
        help_text="Your current password. Users with 2FA may send `code` instead.",
    )  # fmt: skip
    code = serializers.CharField(
        max_length=32, required=False, write_only=True,
        help_text="A current code from your authenticator app (or a recovery code), for users with 2FA.",
    )  # fmt: skip


class ConfirmDeletionSerializer(ReauthenticationSerializer):
    confirm = serializers.CharField(help_text="The org's slug, typed to confirm.")


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id", "action", "actor_user_id", "actor_email", "impersonator_user_id", "target_type", "target_id",
            "details", "ip", "created_at",
        ]  # fmt: skip
        read_only_fields = fields
