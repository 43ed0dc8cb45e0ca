"""Listing media: the image gallery, its resized variants and image enhancement jobs."""

from common import registry


class PropertyMediaConfig(registry.ModuleConfig):
    name = "properties.media"
    label = "property_media"
    verbose_name = "Listing media"
    default_auto_field = "django.db.models.BigAutoField"
    urls = "properties.media.urls"
    demo_seeder = "properties.media.demo.seed"
