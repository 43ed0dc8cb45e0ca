"""Outbound webhooks: endpoints, the outbox written with each change, signed deliveries in order, retries."""

from common import registry


class WebhooksConfig(registry.ModuleConfig):
    name = "webhooks"
    verbose_name = "Outbound webhooks"
    default_auto_field = "django.db.models.BigAutoField"
    urls = "webhooks.urls"
    activity_listener = "webhooks.events.on_activity"
