"""Marketing campaigns: plans, budgets, assets and collaboration."""

from common import registry
from common.access import ALL_ROLES, RouteAccess, Scope


class CampaignsConfig(registry.ModuleConfig):
    name = "campaigns"
    verbose_name = "Marketing campaigns"
    default_auto_field = "django.db.models.BigAutoField"
    record_apis = (
        registry.RecordApi(
            "campaigns",
            "campaigns.views.CampaignViewSet",
            actions={
                "report": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
                "report-csv": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
                "report-pdf": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
            },
        ),
    )
    urls = "campaigns.urls"
    reassign = "campaigns.services.reassign_campaigns"
    demo_seeder = "campaigns.demo.seed"
    comment_listener = "campaigns.services.campaign_comment_heard"
