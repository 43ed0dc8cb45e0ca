"""Marketing campaigns: plans, budgets, assets and collaboration."""

from common import registry


class CampaignsConfig(registry.ModuleConfig):
    name = "campaigns"
    verbose_name = "Marketing campaigns"
    default_auto_field = "django.db.models.BigAutoField"
