"""Routes of saved searches, requirements, matches and the unsubscribe link, with their rows of the authorization
table."""

from django.urls import path

from common.access import ALL_ROLES, Audience, RouteAccess, Scope
from properties.matching import views

urlpatterns = [
    path("saved-searches/", views.SavedSearchListView.as_view(), name="saved-searches"),
    path("saved-searches/<uuid:search_id>/", views.SavedSearchDetailView.as_view(), name="saved-search-detail"),
    path(
        "saved-searches/<uuid:search_id>/matches/",
        views.SavedSearchMatchesView.as_view(),
        name="saved-search-matches",
    ),
    path(
        "contacts/<uuid:contact_id>/requirements/",
        views.ContactRequirementsView.as_view(),
        name="contact-requirements",
    ),
    path("properties/<uuid:property_id>/matches/", views.ListingInterestView.as_view(), name="listing-matches"),
    path(
        "public/saved-searches/unsubscribe/<str:token>/",
        views.UnsubscribeView.as_view(),
        name="saved-search-unsubscribe",
    ),
]

# Saving a search changes nothing of the agency's, so viewers save their own too. Whose search may be changed
# (the owner's, managers' and above; a requirement by whoever may change its contact) is the services' rule.
ROUTES = {
    "saved-searches": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": ALL_ROLES}),
    "saved-search-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": ALL_ROLES, "DELETE": ALL_ROLES}),
    "saved-search-matches": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "contact-requirements": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "listing-matches": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    # The signed token in the link is the credential; the view checks it, not the route table.
    "saved-search-unsubscribe": RouteAccess(
        Scope.PUBLIC,
        {"GET": Audience.ANYONE, "POST": Audience.ANYONE},
        reason="The unsubscribe link of saved-search emails, followed from a mail client without signing in.",
    ),
}
