"""Kanban boards: boards of cards, and board views over any record module with a status field."""

from common import registry


class BoardsConfig(registry.ModuleConfig):
    name = "boards"
    verbose_name = "Boards"
    default_auto_field = "django.db.models.BigAutoField"
    urls = "boards.urls"
    demo_seeder = "boards.demo.seed"
    timeline_targets = (
        registry.TimelineTarget("boards.Card", "boards.access.visible_cards", "boards.access.may_comment"),
    )
