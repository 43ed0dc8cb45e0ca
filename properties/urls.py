"""Routes of a listing's spaces and contacts, and of a contact's listings, with their rows of the table."""

from django.urls import path

from common.access import ALL_ROLES, WRITERS, RouteAccess, Scope
from properties.contact_link_views import ContactListingsView, PropertyContactDetailView, PropertyContactsView
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
]

# Writers by role; whether a member may change this listing's spaces and contacts is the listing's own rule (403
# otherwise).
ROUTES = {
    "property-spaces": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
    "property-space-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": WRITERS, "DELETE": WRITERS}),
    "property-contacts": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
    "property-contact-detail": RouteAccess(Scope.TENANT, {"PATCH": WRITERS, "DELETE": WRITERS}),
    "contact-properties": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
}
