"""Request and response shapes of outbound webhooks."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from webhooks.models import Attempt, Delivery, Endpoint


class EndpointSerializer(serializers.ModelSerializer):
    url = serializers.URLField(max_length=2000, help_text="https (http to loopback in development only).")
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=200, help_text="See /api/webhooks/event-types/."
    )
    secret = serializers.CharField(read_only=True, help_text="Verify `webhook-signature` with it.")
    previous_secret_expires_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Endpoint
        fields = [
            "id", "url", "description", "event_types", "is_active", "disabled_at", "disabled_reason", "secret",
            "previous_secret_expires_at", "failing_since", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "disabled_at", "disabled_reason", "failing_since", "created_at", "updated_at"]


class EndpointChangeSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(child=serializers.CharField(max_length=60), max_length=200, required=False)
    is_active = serializers.BooleanField(required=False)


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["id", "created_at", "status_code", "error", "duration_ms", "response_body"]


class DeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.SerializerMethodField()
    event_type = serializers.CharField(source="event.event_type", read_only=True)
    payload = serializers.JSONField(source="event.payload", read_only=True)
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id", "endpoint_id", "webhook_id", "event_type", "state", "attempts", "next_attempt_at", "last_status",
            "last_error", "delivered_at", "created_at", "payload", "attempt_log",
        ]  # fmt: skip

    def get_webhook_id(self, delivery: Delivery) -> str:
        return delivery.event.webhook_id


class EventTypesSerializer(serializers.Serializer):
    event_types = serializers.ListField(child=serializers.CharField())


def strict(data: Any, serializer_class: type[serializers.Serializer]) -> None:
    """Unknown keys in a body are an error, never ignored."""
    from common.errors import ApiError

    if not isinstance(data, dict):
        return
    known = set(serializer_class().fields)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ApiError(
            "Unknown fields in the body.",
            code="unknown_field",
            fields={name: [{"code": "unknown_field", "detail": "This field is not known."}] for name in unknown},
        )
