"""Routes of a listing's spaces, with their rows of the authorization table."""

from django.urls import path

from common.access import ALL_ROLES, WRITERS, RouteAccess, Scope
from properties.views import PropertySpaceDetailView, PropertySpacesView

urlpatterns = [
    path("properties/<uuid:property_id>/spaces/", PropertySpacesView.as_view(), name="property-spaces"),
    path(
        "properties/<uuid:property_id>/spaces/<uuid:space_id>/",
        PropertySpaceDetailView.as_view(),
        name="property-space-detail",
    ),
]

# Writers by role; whether a member may change this listing's spaces is the listing's own rule (403 otherwise).
ROUTES = {
    "property-spaces": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
    "property-space-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": WRITERS, "DELETE": WRITERS}),
}
