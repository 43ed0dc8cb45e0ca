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
    imports = (
        registry.ImportSpec(
            key="deals",
            model="deals.Deal",
            fields=("name", "amount", "currency", "expected_close_date", "contact", "company", "owner", "tags"),
            create="deals.services.deal_create",
            change="deals.services.deal_change",
            relations={
                "contact": ("contacts.Contact", "email"),
                "company": ("contacts.Company", "domain"),
                "owner": ("member", "email"),
            },
            synonyms={
                "name": ("deal", "deal name", "title"),
                "amount": ("value", "deal value"),
                "expected_close_date": ("close date", "expected close"),
                "contact": ("contact email",),
                "company": ("company domain",),
                "owner": ("owner email", "salesperson"),
            },
        ),
    )
