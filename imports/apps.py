"""Data in and out: CSV/XLSX imports with a preview and a per-row report, and the whole org's export."""

from common import registry


class ImportsConfig(registry.ModuleConfig):
    name = "imports"
    verbose_name = "Imports and org export"
    default_auto_field = "django.db.models.BigAutoField"
    urls = "imports.urls"
