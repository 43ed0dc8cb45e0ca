"""The leads app: registers how a removed member's open leads and web forms are handed on."""

from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads and web forms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common.reassign import register_reassigner
        from leads.services import reassign_open_records

        register_reassigner("leads", reassign_open_records)
