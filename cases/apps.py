"""Support cases."""

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Support cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cases.services import reassign_open_records
        from common.reassign import register_reassigner

        register_reassigner("cases", reassign_open_records)
