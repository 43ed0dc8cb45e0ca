from common import registry


class TenantsConfig(registry.ModuleConfig):
    name = "tenants"
    verbose_name = "Organisations"
    default_auto_field = "django.db.models.BigAutoField"
    urls = "tenants.urls"

    def ready(self) -> None:
        from tenants import signals  # noqa: F401
