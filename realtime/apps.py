"""The per-org event stream over WebSocket (Django Channels on the project's Redis)."""

from common import registry


class RealtimeConfig(registry.ModuleConfig):
    name = "realtime"
    verbose_name = "Live updates"
    default_auto_field = "django.db.models.BigAutoField"
    activity_listener = "realtime.listeners.on_activity"
    notification_listener = "realtime.listeners.on_notifications"
    membership_listener = "realtime.listeners.on_membership_changed"
    session_listener = "realtime.listeners.on_session_ended"
