"""Contacts and companies."""

from common import registry
from common.access import WRITERS, RouteAccess, Scope

MERGE = {"merge": RouteAccess(Scope.TENANT, {"POST": WRITERS})}


class ContactsConfig(registry.ModuleConfig):
    name = "contacts"
    verbose_name = "Contacts and companies"
    default_auto_field = "django.db.models.BigAutoField"
    record_apis = (
        registry.RecordApi("contacts", "contacts.views.ContactViewSet", actions=MERGE),
        registry.RecordApi("companies", "contacts.views.CompanyViewSet", actions=MERGE),
    )
    reassign = "contacts.services.reassign_open_records"
    demo_seeder = "contacts.demo.seed"
