"""Widgets declare a record API, a reassign hook and listeners, and nothing anywhere else names them."""

from common import registry


class WidgetsConfig(registry.ModuleConfig):
    name = "tests.widgets"
    label = "widgets"
    default_auto_field = "django.db.models.BigAutoField"
    record_apis = (registry.RecordApi("widgets", "tests.widgets.views.WidgetViewSet"),)
    reassign = "tests.widgets.services.reassign_open_widgets"
    activity_listener = "tests.widgets.listeners.activity_heard"
    notification_listener = "tests.widgets.listeners.notifications_heard"
