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
    imports = (
        registry.ImportSpec(
            key="contacts",
            model="contacts.Contact",
            fields=(
                "first_name",
                "last_name",
                "email",
                "secondary_email",
                "phone",
                "mobile",
                "title",
                "company",
                "source",
                "street",
                "city",
                "region",
                "postal_code",
                "country",
                "tags",
                "assigned_to",
            ),
            create="contacts.services.contact_create",
            create_many="contacts.services.contacts_create_many",
            change="contacts.services.contact_change",
            natural_keys=("email",),
            relations={"company": ("contacts.Company", "domain"), "assigned_to": ("member", "email")},
            synonyms={
                "first_name": ("first", "given name", "forename", "prenom", "nome"),
                "last_name": ("last", "surname", "family name", "apelido", "nom"),
                "email": ("e-mail", "mail", "email address", "courriel"),
                "phone": ("telephone", "tel", "phone number", "telefone"),
                "mobile": ("cell", "cellphone", "mobile phone", "telemovel"),
                "title": ("job title", "position", "role", "cargo"),
                "company": ("company domain", "organisation", "organization", "empresa"),
                "assigned_to": ("owner", "owner email", "assignee"),
            },
        ),
        registry.ImportSpec(
            key="companies",
            model="contacts.Company",
            fields=("name", "domain", "industry", "size", "phone", "website", "tags", "assigned_to"),
            create="contacts.services.company_create",
            create_many="contacts.services.companies_create_many",
            change="contacts.services.company_change",
            natural_keys=("domain",),
            relations={"assigned_to": ("member", "email")},
            synonyms={
                "name": ("company", "company name", "organisation", "organization", "empresa"),
                "domain": ("website domain", "web domain", "dominio"),
                "assigned_to": ("owner", "owner email", "assignee"),
            },
        ),
    )
