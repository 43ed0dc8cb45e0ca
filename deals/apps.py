"""Deals and pipelines."""

from common import registry
from common.access import ALL_ROLES, WRITERS, RouteAccess, Scope


class DealsConfig(registry.ModuleConfig):
    name = "deals"
    verbose_name = "Deals and pipelines"
    default_auto_field = "django.db.models.BigAutoField"
    board_fields = (registry.BoardField("deals", "stage", columns="deals.boards.stage_columns"),)
    record_apis = (
        registry.RecordApi(
            "deals",
            "deals.views.DealViewSet",
            actions={
                "move": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
                "summary": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
            },
        ),
    )
    urls = "deals.urls"
    reassign = "deals.services.reassign_open_deals"
    reference_mover = "deals.merge.deal_references_move"
    demo_seeder = "deals.demo.seed"
