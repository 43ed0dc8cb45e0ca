"""AI-written copy: generation jobs through the OpenAI SDK, suggestions, and the token quota."""

from common import registry


class CampaignAiConfig(registry.ModuleConfig):
    name = "campaigns.ai"
    label = "campaign_ai"
    verbose_name = "AI copy"
    default_auto_field = "django.db.models.BigAutoField"
    urls = "campaigns.ai.urls"
    demo_seeder = "campaigns.ai.demo.seed"
