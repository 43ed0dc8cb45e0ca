"""Leads, web forms and web-to-lead."""

from common import registry
from common.access import WRITERS, RouteAccess, Scope


class LeadsConfig(registry.ModuleConfig):
    name = "leads"
    verbose_name = "Leads and web forms"
    default_auto_field = "django.db.models.BigAutoField"
    board_fields = (registry.BoardField("leads", "status"),)
    record_apis = (
        registry.RecordApi(
            "leads", "leads.views.LeadViewSet", actions={"convert": RouteAccess(Scope.TENANT, {"POST": WRITERS})}
        ),
    )
    urls = "leads.urls"
    reassign = "leads.services.reassign_open_records"
    reference_mover = "leads.merge.lead_references_move"
    demo_seeder = "leads.demo.seed"
