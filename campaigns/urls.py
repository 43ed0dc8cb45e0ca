"""Routes of a campaign's budget, spend and assets, with their rows of the authorization table."""

from django.urls import path

from campaigns import views
from common.access import ALL_ROLES, MANAGERS, WRITERS, RouteAccess, Scope

CAMPAIGN = "campaigns/<uuid:campaign_id>"

urlpatterns = [
    path(f"{CAMPAIGN}/budget/", views.CampaignBudgetView.as_view(), name="campaign-budget"),
    path(f"{CAMPAIGN}/budget-lines/", views.BudgetLinesView.as_view(), name="campaign-budget-lines"),
    path(
        f"{CAMPAIGN}/budget-lines/<uuid:line_id>/",
        views.BudgetLineDetailView.as_view(),
        name="campaign-budget-line-detail",
    ),
    path(f"{CAMPAIGN}/spend/", views.SpendView.as_view(), name="campaign-spend"),
    path(f"{CAMPAIGN}/spend/<uuid:entry_id>/", views.SpendDetailView.as_view(), name="campaign-spend-detail"),
    path(f"{CAMPAIGN}/assets/", views.AssetsView.as_view(), name="campaign-assets"),
    path(f"{CAMPAIGN}/assets/<uuid:asset_id>/", views.AssetDetailView.as_view(), name="campaign-asset-detail"),
    path(
        f"{CAMPAIGN}/assets/<uuid:asset_id>/download/",
        views.AssetDownloadView.as_view(),
        name="campaign-asset-download",
    ),
    path(
        f"{CAMPAIGN}/assets/<uuid:asset_id>/approval/",
        views.AssetApprovalView.as_view(),
        name="campaign-asset-approval",
    ),
]

# Writers by role; whether a member may change this campaign's budget, spend or assets is the campaign's own
# rule (403 otherwise). Approving assets is for managers and above.
ROUTES = {
    "campaign-budget": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "campaign-budget-lines": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
    "campaign-budget-line-detail": RouteAccess(
        Scope.TENANT, {"GET": ALL_ROLES, "PATCH": WRITERS, "DELETE": WRITERS}
    ),
    "campaign-spend": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
    "campaign-spend-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": WRITERS, "DELETE": WRITERS}),
    "campaign-assets": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
    "campaign-asset-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": WRITERS, "DELETE": WRITERS}),
    "campaign-asset-download": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "campaign-asset-approval": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
}
