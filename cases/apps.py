"""Support cases."""

from common import registry


class CasesConfig(registry.ModuleConfig):
    name = "cases"
    verbose_name = "Support cases"
    default_auto_field = "django.db.models.BigAutoField"
    board_fields = (registry.BoardField("cases", "status"),)
    record_apis = (registry.RecordApi("cases", "cases.views.CaseViewSet"),)
    reassign = "cases.services.reassign_open_records"
    reference_mover = "cases.merge.case_references_move"
    demo_seeder = "cases.demo.seed"
