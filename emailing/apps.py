"""Email marketing: consent, segments, bulk sends that never double-send, tracking and unsubscribe."""

from common import registry


class EmailingConfig(registry.ModuleConfig):
    name = "emailing"
    verbose_name = "Email marketing"
    default_auto_field = "django.db.models.BigAutoField"
    urls = "emailing.urls"
    demo_seeder = "emailing.demo.seed"
