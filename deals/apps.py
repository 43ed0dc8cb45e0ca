"""The deals app: registers how a removed member's open deals are handed over."""

from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "deals"
    verbose_name = "Deals and pipelines"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common.reassign import register_reassigner
        from deals.services import reassign_open_deals

        register_reassigner("deals", reassign_open_deals)
