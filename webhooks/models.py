"""Outbound webhooks: the org's endpoints, the outbox of events written with each change, one delivery per
event and endpoint (in order per endpoint), and every attempt of a delivery (the delivery log)."""

from __future__ import annotations

import base64
import secrets

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from common.models import BaseModel


def new_signing_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Endpoint(BaseModel):
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = ArrayField(models.CharField(max_length=60), default=list)
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    secret = models.CharField(max_length=100, default=new_signing_secret)
    # The secret before the last rotation: deliveries are signed with both until it expires.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # The first failure after the last success; an endpoint failing long enough is disabled.
    failing_since = models.DateTimeField(null=True, blank=True)
    # One worker at a time delivers an endpoint's queue (in order); the lease lapses if that worker dies.
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class Event(BaseModel):
    """One row of the outbox. Its id is the `webhook-id`: the same for every attempt and every redelivery."""

    event_type = models.CharField(max_length=60)
    payload = models.JSONField()

    class Meta:
        ordering = ["id"]

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.pk.hex}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting to be delivered"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed after every retry"
    CANCELLED = "cancelled", "Cancelled (the endpoint was removed or disabled)"


class Delivery(BaseModel):
    """An event for one endpoint. Deliveries of one endpoint go out in id order (ids grow with time)."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["endpoint", "id"], condition=Q(state="pending"), name="webhook_delivery_queue"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=DeliveryState.values), name="webhook_delivery_state"),
        ]


class Attempt(BaseModel):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_body = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
