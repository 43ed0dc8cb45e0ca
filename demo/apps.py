from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data: the seeding runner and its commands (`ensure_demo`, `seed_demo`); modules bring the seeders."""

    name = "demo"
    verbose_name = "Demo data"
