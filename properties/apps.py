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
    imports = (
        registry.ImportSpec(
            key="properties",
            model="properties.Property",
            fields=(
                "reference",
                "title",
                "property_type",
                "listing_type",
                "street",
                "city",
                "region",
                "postal_code",
                "country",
                "bedrooms",
                "bathrooms",
                "asking_price",
                "currency",
                "description",
                "tags",
            ),
            create="properties.services.property_create",
            change="properties.services.property_change",
            natural_keys=("reference",),
            synonyms={
                "reference": ("ref", "listing id", "external id", "referencia"),
                "title": ("name",),
                "asking_price": ("price", "preco", "prix"),
                "bedrooms": ("beds", "quartos"),
            },
        ),
    )
