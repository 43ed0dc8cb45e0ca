"""Response and request shapes of the platform administration API."""

from __future__ import annotations

from rest_framework import serializers

from common.models import Profile, User
from tenants.members.serializers import MemberSerializer
from tenants.models import Org, PlatformAuditEvent
from tenants.orgs.serializers import AuditEventSerializer, OrgSerializer


class PlatformOrgSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(
        read_only=True, help_text="Active members (not deactivated or removed)."
    )
    record_counts = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        read_only=True,
        help_text='Rows per tenant module and table: {app label: {records: count}}, e.g. {"contacts": '
        '{"contacts": 3, "companies": 1}}.',
    )

    class Meta:
        model = Org
        fields = [
            "id", "name", "slug", "status", "member_count", "record_counts", "created_at", "last_activity_at",
            "deletion_scheduled_for",
        ]  # fmt: skip
        read_only_fields = fields


class PlatformOrgDetailSerializer(PlatformOrgSerializer):
    deletion_requested_by = serializers.UUIDField(
        source="deletion_requested_by_id", read_only=True, allow_null=True
    )
    deletion_requested_by_email = serializers.EmailField(
        source="deletion_requested_by.email", read_only=True, allow_null=True, default=None
    )

    class Meta(PlatformOrgSerializer.Meta):
        fields = [
            *PlatformOrgSerializer.Meta.fields, "schema_name", "timezone", "currency", "requires_two_factor",
            "language", "ai_monthly_token_quota", "deletion_requested_at", "deletion_requested_by",
            "deletion_requested_by_email", "updated_at", "members", "recent_activity",
        ]  # fmt: skip
        read_only_fields = fields

    members = MemberSerializer(
        many=True, read_only=True, help_text="The first 50 members, removed ones last; all of them at /members/."
    )
    recent_activity = AuditEventSerializer(many=True, read_only=True, help_text="The org's last 20 audit entries.")


class PlatformOrgChangeSerializer(serializers.Serializer):
    ai_monthly_token_quota = serializers.IntegerField(
        min_value=0,
        max_value=2_000_000_000,
        allow_null=True,
        help_text="Tokens the org may spend on AI copy per calendar month (UTC); null is the platform default.",
    )


class SuspendRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PlatformUserSerializer(serializers.ModelSerializer):
    has_two_factor = serializers.BooleanField(read_only=True)
    email_verified = serializers.BooleanField(read_only=True)
    membership_count = serializers.IntegerField(
        read_only=True, help_text="Orgs the user belongs to (not removed)."
    )

    class Meta:
        model = User
        fields = [
            "id", "email", "name", "is_active", "is_platform_admin", "has_two_factor", "email_verified",
            "membership_count", "date_joined",
        ]  # fmt: skip
        read_only_fields = fields


class PlatformMembershipSerializer(serializers.ModelSerializer):
    org = OrgSerializer(read_only=True)

    class Meta:
        model = Profile
        fields = ["id", "org", "role", "is_active", "removed_at", "joined_at"]
        read_only_fields = fields


class PlatformUserDetailSerializer(PlatformUserSerializer):
    memberships = PlatformMembershipSerializer(many=True, read_only=True)

    class Meta(PlatformUserSerializer.Meta):
        fields = [*PlatformUserSerializer.Meta.fields, "memberships"]
        read_only_fields = fields


class ImpersonateRequestSerializer(serializers.Serializer):
    profile_id = serializers.UUIDField(help_text="An active member of this org.")
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ImpersonationSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Access token for this org's tenant routes only; no refresh token.")
    expires_at = serializers.DateTimeField()
    profile = MemberSerializer()
    org = OrgSerializer()


class PlatformAuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlatformAuditEvent
        fields = [
            "id", "action", "actor_user_id", "actor_email", "org_id", "target_type", "target_id", "details", "ip",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields
