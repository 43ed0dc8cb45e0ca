"""Routes of AI copy, with their rows of the authorization table."""

from django.urls import path

from campaigns.ai import views
from common.access import ALL_ROLES, WRITERS, RouteAccess, Scope

CAMPAIGN = "campaigns/<uuid:campaign_id>"
SUGGESTION = "campaigns/ai-suggestions/<uuid:suggestion_id>"

urlpatterns = [
    path(f"{CAMPAIGN}/generate/", views.GenerateView.as_view(), name="campaign-ai-generate"),
    path(f"{CAMPAIGN}/ai-jobs/", views.JobListView.as_view(), name="campaign-ai-jobs"),
    path(f"{CAMPAIGN}/ai-suggestions/", views.SuggestionListView.as_view(), name="campaign-ai-suggestions"),
    path(f"{CAMPAIGN}/ai-suggestions/review/", views.ReviewView.as_view(), name="campaign-ai-suggestions-review"),
    path("campaigns/ai-jobs/<uuid:job_id>/", views.JobDetailView.as_view(), name="campaign-ai-job"),
    path(f"{SUGGESTION}/", views.SuggestionDetailView.as_view(), name="campaign-ai-suggestion"),
    path(f"{SUGGESTION}/approve/", views.SuggestionApproveView.as_view(), name="campaign-ai-suggestion-approve"),
    path(f"{SUGGESTION}/reject/", views.SuggestionRejectView.as_view(), name="campaign-ai-suggestion-reject"),
    path(
        f"{SUGGESTION}/regenerate/",
        views.SuggestionRegenerateView.as_view(),
        name="campaign-ai-suggestion-regenerate",
    ),
    path("campaigns/ai-usage/", views.UsageView.as_view(), name="campaign-ai-usage"),
    path("campaigns/ai-options/", views.OptionsView.as_view(), name="campaign-ai-options"),
]

# Every member reads the copy of the campaigns they see; writers ask for and review copy, and whether a member
# may do so for this campaign is the campaign's own rule (403 otherwise).
ROUTES = {
    "campaign-ai-generate": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
    "campaign-ai-jobs": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "campaign-ai-job": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "campaign-ai-suggestions": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "campaign-ai-suggestions-review": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
    "campaign-ai-suggestion": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": WRITERS}),
    "campaign-ai-suggestion-approve": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
    "campaign-ai-suggestion-reject": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
    "campaign-ai-suggestion-regenerate": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
    "campaign-ai-usage": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "campaign-ai-options": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
}
