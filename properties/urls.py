"""Routes of a listing's spaces and contacts, and of a contact's listings, with their rows of the table."""

from django.urls import path

from common.access import ALL_ROLES, WRITERS, Audience, RouteAccess, Scope
from properties.contact_link_views import ContactListingsView, PropertyContactDetailView, PropertyContactsView
from properties.public_views import PublicGuidedSearchView, PublicListingDetailView, PublicListingListView
from properties.views import PropertySpaceDetailView, PropertySpacesView

urlpatterns = [
    path("properties/<uuid:property_id>/spaces/", PropertySpacesView.as_view(), name="property-spaces"),
    path(
        "properties/<uuid:property_id>/spaces/<uuid:space_id>/",
        PropertySpaceDetailView.as_view(),
        name="property-space-detail",
    ),
    path("properties/<uuid:property_id>/contacts/", PropertyContactsView.as_view(), name="property-contacts"),
    path(
        "properties/<uuid:property_id>/contacts/<uuid:link_id>/",
        PropertyContactDetailView.as_view(),
        name="property-contact-detail",
    ),
    path("contacts/<uuid:contact_id>/properties/", ContactListingsView.as_view(), name="contact-properties"),
    # The public listing API; the guided search before the detail, whose slug would otherwise take its name.
    path("public/orgs/<slug:org_slug>/properties/", PublicListingListView.as_view(), name="public-properties"),
    path(
        "public/orgs/<slug:org_slug>/properties/guided-search/",
        PublicGuidedSearchView.as_view(),
        name="public-properties-guided-search",
    ),
    path(
        "public/orgs/<slug:org_slug>/properties/<slug:slug>/",
        PublicListingDetailView.as_view(),
        name="public-property-detail",
    ),
]

_WEBSITES = "An agency's website: published listings only, no user, no org header."

# Writers by role; whether a member may change this listing's spaces and contacts is the listing's own rule (403
# otherwise).
ROUTES = {
    "property-spaces": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
    "property-space-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": WRITERS, "DELETE": WRITERS}),
    "property-contacts": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
    "property-contact-detail": RouteAccess(Scope.TENANT, {"PATCH": WRITERS, "DELETE": WRITERS}),
    "contact-properties": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "public-properties": RouteAccess(Scope.PUBLIC, {"GET": Audience.ANYONE}, reason=_WEBSITES),
    "public-properties-guided-search": RouteAccess(Scope.PUBLIC, {"GET": Audience.ANYONE}, reason=_WEBSITES),
    "public-property-detail": RouteAccess(Scope.PUBLIC, {"GET": Audience.ANYONE}, reason=_WEBSITES),
}
