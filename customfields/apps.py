from common import registry


class CustomfieldsConfig(registry.ModuleConfig):
    name = "customfields"
    verbose_name = "Custom fields"
    default_auto_field = "django.db.models.BigAutoField"
    urls = "customfields.urls"
    provides = {"custom_values": "customfields.services.custom_values"}
