"""Request and response shapes of email marketing."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from campaigns.models import Campaign
from contacts.models import EmailConsent
from emailing.models import (
    EmailSend,
    EmailSettings,
    Recipient,
    Segment,
    SegmentKind,
    SendStatus,
    Suppression,
)
from properties.models import Property
from records.fields import OrgScopedRelatedField


class EmailSettingsSerializer(serializers.ModelSerializer):
    sender_domains = serializers.ListField(
        child=serializers.RegexField(r"^(?=.{1,253}$)([a-zA-Z0-9-]{1,63}\.)+[a-zA-Z]{2,63}\.?$", max_length=253),
        max_length=20,
        required=False,
        help_text="Domains a send's from address may use (set up with your mail provider).",
    )
    messages_per_minute = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="This org's sending rate; null is the platform default. Capped by the platform's maximum.",
    )

    class Meta:
        model = EmailSettings
        fields = [
            "sender_domains",
            "default_from_name",
            "default_from_email",
            "reply_to",
            "postal_address",
            "include_never_asked",
            "tracking_enabled",
            "messages_per_minute",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
        # Settings never saved have no time yet.
        extra_kwargs = {"updated_at": {"allow_null": True}}


class ConsentChangeSerializer(serializers.Serializer):
    email_consent = serializers.ChoiceField(
        choices=[EmailConsent.SUBSCRIBED, EmailConsent.UNSUBSCRIBED],
        help_text="What the person told you. Bounced and complained come from the mail provider only.",
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ConsentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    email_consent = serializers.CharField()
    email_consent_source = serializers.CharField()
    email_consent_at = serializers.DateTimeField(allow_null=True)


class SuppressionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Suppression
        fields = ["id", "email", "reason", "source", "created_at"]
        read_only_fields = ["id", "reason", "source", "created_at"]


class SuppressionCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    note = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class SegmentSerializer(serializers.ModelSerializer):
    definition = serializers.JSONField(
        required=False,
        help_text='{"match": "all"|"any", "conditions": [{"field", "op", "value"}...]} for a dynamic segment.',
    )
    member_count = serializers.IntegerField(read_only=True, required=False, allow_null=True)

    class Meta:
        model = Segment
        fields = [
            "id",
            "name",
            "description",
            "kind",
            "definition",
            "member_count",
            "created_at",
            "updated_at",
            "created_by",
        ]
        read_only_fields = ["id", "created_at", "updated_at", "created_by"]
        validators: list[object] = []  # names are unique per org: the service answers a 409


class SegmentChangeSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=SegmentKind.choices, required=False)
    definition = serializers.JSONField(required=False)


class SegmentDefinitionSerializer(serializers.Serializer):
    definition = serializers.JSONField(help_text="A segment definition to count without saving it.")


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class MembersChangeSerializer(serializers.Serializer):
    add = serializers.ListField(child=serializers.UUIDField(), required=False, default=list, max_length=1000)
    remove = serializers.ListField(child=serializers.UUIDField(), required=False, default=list, max_length=1000)


class PreviewContactSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    email_consent = serializers.CharField()
    city = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())


class SendSerializer(serializers.ModelSerializer):
    campaign = OrgScopedRelatedField(Campaign, required=False, allow_null=True)
    property = OrgScopedRelatedField(Property, source="listing", required=False, allow_null=True)
    segment_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=20)
    exclude_segment_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=20)
    is_content_approved = serializers.BooleanField(read_only=True)
    scheduled_local = serializers.SerializerMethodField(help_text="The scheduled time in the org's time zone.")

    class Meta:
        model = EmailSend
        fields = [
            "id",
            "name",
            "campaign",
            "property",
            "segment_ids",
            "exclude_segment_ids",
            "from_name",
            "from_email",
            "reply_to",
            "subject",
            "preheader",
            "html",
            "text",
            "is_content_approved",
            "content_approved_at",
            "content_approved_by",
            "content_source",
            "status",
            "scheduled_at",
            "scheduled_local",
            "started_at",
            "started_by",
            "paused_at",
            "finished_at",
            "failure_reason",
            "tracking_enabled",
            "audience_count",
            "recipient_count",
            "excluded",
            "created_at",
            "updated_at",
            "created_by",
        ]
        read_only_fields = [
            "id",
            "is_content_approved",
            "content_approved_at",
            "content_approved_by",
            "content_source",
            "status",
            "scheduled_at",
            "started_at",
            "started_by",
            "paused_at",
            "finished_at",
            "failure_reason",
            "tracking_enabled",
            "audience_count",
            "recipient_count",
            "excluded",
            "created_at",
            "updated_at",
            "created_by",
        ]
        extra_kwargs = {"name": {"required": True}}

    def get_scheduled_local(self, send: EmailSend) -> str | None:
        if send.scheduled_at is None:
            return None
        zone = self.context.get("zone")
        return send.scheduled_at.astimezone(zone).isoformat() if zone else send.scheduled_at.isoformat()


class SendChangeSerializer(SendSerializer):
    class Meta(SendSerializer.Meta):
        extra_kwargs = {"name": {"required": False}}


class LocalDateTimeField(serializers.DateTimeField):
    """A date and time kept as given: with its offset, or without one (the service reads it in the org's zone)."""

    def enforce_timezone(self, value: Any) -> Any:
        return value


class ScheduleSerializer(serializers.Serializer):
    scheduled_at = LocalDateTimeField(help_text="When to send. Without a UTC offset it is the org's local time.")


class SuggestionChoiceSerializer(serializers.Serializer):
    suggestion_id = serializers.UUIDField()


class AiCopySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    language = serializers.CharField()
    subject = serializers.CharField()
    preheader = serializers.CharField()
    body_html = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)


class RenderedSerializer(serializers.Serializer):
    subject = serializers.CharField()
    from_header = serializers.CharField()
    to = serializers.CharField()
    html = serializers.CharField()
    text = serializers.CharField()
    links = serializers.ListField(child=serializers.CharField())


class TestSendSerializer(serializers.Serializer):
    contact = serializers.UUIDField(required=False, allow_null=True, help_text="Render it for this contact.")


class QueuedSerializer(serializers.Serializer):
    to = serializers.EmailField()
    queued = serializers.BooleanField()


class RetriedSerializer(serializers.Serializer):
    retried = serializers.IntegerField()


class RecipientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Recipient
        fields = [
            "id",
            "contact",
            "email",
            "state",
            "attempts",
            "next_attempt_at",
            "message_id",
            "last_reply",
            "sent_at",
            "finished_at",
            "first_open_at",
            "first_machine_open_at",
            "first_click_at",
            "unsubscribed_at",
            "bounced_at",
            "complained_at",
        ]
        read_only_fields = fields


class LinkFiguresSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    url = serializers.URLField()
    clicks = serializers.IntegerField()
    unique_clicks = serializers.IntegerField()


class HourSerializer(serializers.Serializer):
    hour = serializers.DateTimeField()
    sent = serializers.IntegerField()
    opens = serializers.IntegerField()
    machine_opens = serializers.IntegerField()
    clicks = serializers.IntegerField()


class SendFiguresSerializer(serializers.Serializer):
    recipients = serializers.IntegerField()
    excluded = serializers.IntegerField()
    excluded_by_reason = serializers.DictField(child=serializers.IntegerField())
    queued = serializers.IntegerField()
    sending = serializers.IntegerField()
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    unknown = serializers.IntegerField()
    skipped = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    bounced = serializers.IntegerField()
    complaints = serializers.IntegerField()
    unique_opens = serializers.IntegerField(help_text="People who opened it (machine opens not counted).")
    machine_opens = serializers.IntegerField(help_text="Opened only by a proxy or right after delivery.")
    unique_clicks = serializers.IntegerField()
    unsubscribes = serializers.IntegerField()
    rates = serializers.DictField(
        child=serializers.CharField(allow_null=True),
        help_text="Percentages as strings (two decimals) of delivered messages.",
    )


class SendReportSerializer(serializers.Serializer):
    send = serializers.DictField()
    figures = SendFiguresSerializer()
    links = LinkFiguresSerializer(many=True)
    hourly = HourSerializer(many=True)
    timezone = serializers.CharField()


STATUS_CHOICES = SendStatus.values
