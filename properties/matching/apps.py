"""Saved searches and requirements, and matching new listings against them."""

from common import registry


class PropertyMatchingConfig(registry.ModuleConfig):
    name = "properties.matching"
    label = "property_matching"
    verbose_name = "Saved searches and matching"
    default_auto_field = "django.db.models.BigAutoField"
    urls = "properties.matching.urls"
    reference_mover = "properties.matching.services.requirements_move"
    demo_seeder = "properties.matching.demo.seed"
