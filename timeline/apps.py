from common import registry


class TimelineConfig(registry.ModuleConfig):
    name = "timeline"
    verbose_name = "Timeline"
    default_auto_field = "django.db.models.BigAutoField"
    urls = "timeline.urls"
    provides = {"record_journal": "timeline.journal.journal"}
