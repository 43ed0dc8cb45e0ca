"""Invoices, quotes and credit notes: gapless numbers per org, exact totals, payments, documents and reminders."""

from common import registry


class InvoicesConfig(registry.ModuleConfig):
    name = "invoices"
    verbose_name = "Invoices and quotes"
    default_auto_field = "django.db.models.BigAutoField"
