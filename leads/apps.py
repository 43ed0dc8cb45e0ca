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
    imports = (
        registry.ImportSpec(
            key="leads",
            model="leads.Lead",
            fields=(
                "first_name",
                "last_name",
                "email",
                "phone",
                "title",
                "company_name",
                "website",
                "industry",
                "source",
                "rating",
                "estimated_value",
                "currency",
                "description",
                "tags",
                "assigned_to",
            ),
            create="leads.services.lead_create",
            create_many="leads.services.leads_create_many",
            change="leads.services.lead_change",
            relations={"assigned_to": ("member", "email")},
            synonyms={
                "first_name": ("first", "given name", "prenom"),
                "last_name": ("last", "surname"),
                "email": ("e-mail", "mail"),
                "company_name": ("company", "organisation", "organization"),
                "estimated_value": ("value", "amount"),
                "assigned_to": ("owner", "owner email"),
            },
        ),
    )
