"""Widgets declare a record API and a reassign hook, and nothing anywhere else names them."""

from common import registry


class WidgetsConfig(registry.ModuleConfig):
    name = "tests.widgets"
    label = "widgets"
    default_auto_field = "django.db.models.BigAutoField"
    record_apis = (registry.RecordApi("widgets", "tests.widgets.views.WidgetViewSet"),)
    reassign = "tests.widgets.services.reassign_open_widgets"
