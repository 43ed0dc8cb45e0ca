"""Routes of custom field definitions, with their rows of the authorization table."""

from django.urls import path

from common.access import ADMINS, ALL_ROLES, RouteAccess, Scope
from customfields.views import DefinitionDetailView, DefinitionListView

urlpatterns = [
    path("custom-fields/", DefinitionListView.as_view(), name="custom-fields"),
    path("custom-fields/<uuid:definition_id>/", DefinitionDetailView.as_view(), name="custom-field-detail"),
]

ROUTES = {
    "custom-fields": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": ADMINS}),
    "custom-field-detail": RouteAccess(Scope.TENANT, {"PATCH": ADMINS, "DELETE": ADMINS}),
}
