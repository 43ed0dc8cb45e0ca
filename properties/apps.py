"""Property listings."""

from common import registry
from common.access import ALL_ROLES, RouteAccess, Scope


class PropertiesConfig(registry.ModuleConfig):
    name = "properties"
    verbose_name = "Property listings"
    default_auto_field = "django.db.models.BigAutoField"
    record_apis = (
        registry.RecordApi(
            "properties",
            "properties.views.PropertyViewSet",
            actions={
                "price-history": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
                "pins": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
            },
        ),
    )
    urls = "properties.urls"
    reassign = "properties.services.reassign_listings"
    reference_mover = "properties.merge.property_references_move"
    demo_seeder = "properties.demo.seed"
