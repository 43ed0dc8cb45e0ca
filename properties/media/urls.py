"""Routes of listing images, with their rows of the authorization table."""

from django.urls import path

from common.access import ADMINS, ALL_ROLES, WRITERS, Audience, RouteAccess, Scope
from properties.media import views

_IMAGE = "properties/<uuid:property_id>/images/<uuid:image_id>"

urlpatterns = [
    path("properties/<uuid:property_id>/images/", views.PropertyImagesView.as_view(), name="property-images"),
    path(
        "properties/<uuid:property_id>/images/order/",
        views.PropertyImageOrderView.as_view(),
        name="property-images-order",
    ),
    path(f"{_IMAGE}/", views.PropertyImageDetailView.as_view(), name="property-image-detail"),
    path(f"{_IMAGE}/files/<slug:variant>/", views.PropertyImageFileView.as_view(), name="property-image-file"),
    path(
        f"{_IMAGE}/enhancements/",
        views.PropertyImageEnhancementsView.as_view(),
        name="property-image-enhancements",
    ),
    path(
        f"{_IMAGE}/enhancements/<uuid:job_id>/",
        views.PropertyImageEnhancementDetailView.as_view(),
        name="property-image-enhancement-detail",
    ),
    path(
        "public/orgs/<uuid:org_id>/media/enhancements/<uuid:job_id>/callback/",
        views.EnhancementCallbackView.as_view(),
        name="property-enhancement-callback",
    ),
    path(
        "public/orgs/<slug:org_slug>/media/<str:token>/<slug:variant>/",
        views.PublicImageFileView.as_view(),
        name="property-media-public",
    ),
]

# Every member reads the inventory; writers by role change galleries, and whether they may change this listing's
# is the listing's own rule (403 otherwise). Enhancement costs money with an outside service: owners and admins.
ROUTES = {
    "property-images": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
    "property-images-order": RouteAccess(Scope.TENANT, {"PUT": WRITERS}),
    "property-image-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": WRITERS, "DELETE": WRITERS}),
    "property-image-file": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "property-image-enhancements": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": ADMINS}),
    "property-image-enhancement-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    # The signature over the body is the credential; the view checks it, not the route table.
    "property-enhancement-callback": RouteAccess(
        Scope.PUBLIC, {"POST": Audience.ANYONE}, reason="The image enhancement service's signed callback."
    ),
    # The image's random token is the credential, and only while its listing is published.
    "property-media-public": RouteAccess(
        Scope.PUBLIC, {"GET": Audience.ANYONE}, reason="Published listings' photos, by unguessable token."
    ),
}
