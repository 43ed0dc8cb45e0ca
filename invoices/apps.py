"""Invoices, quotes and credit notes: gapless numbers per org, exact totals, payments, documents and reminders."""

from common import registry
from common.access import ALL_ROLES, MANAGERS, WRITERS, RouteAccess, Scope
from common.roles import Role

# Reports read every customer's balances: managers and above, and viewers (members do not read the ledger).
_LEDGER_READERS = MANAGERS | {Role.VIEWER}


class InvoicesConfig(registry.ModuleConfig):
    name = "invoices"
    verbose_name = "Invoices and quotes"
    default_auto_field = "django.db.models.BigAutoField"
    record_apis = (
        registry.RecordApi(
            "invoices",
            "invoices.views.InvoiceViewSet",
            actions={
                "finalize": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
                "void": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
                "mark-uncollectible": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
                "send": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
                "apply-credit": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
                "credit-notes": RouteAccess(Scope.TENANT, {"GET": _LEDGER_READERS, "POST": MANAGERS}),
                "payments": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
                "pdf": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
                "public-link": RouteAccess(Scope.TENANT, {"POST": MANAGERS, "DELETE": MANAGERS}),
                "aging": RouteAccess(Scope.TENANT, {"GET": _LEDGER_READERS}),
                "revenue": RouteAccess(Scope.TENANT, {"GET": _LEDGER_READERS}),
                "outstanding": RouteAccess(Scope.TENANT, {"GET": _LEDGER_READERS}),
            },
        ),
        registry.RecordApi(
            "quotes",
            "invoices.views.QuoteViewSet",
            actions={
                "send": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
                "accept": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
                "decline": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
                "convert": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
                "pdf": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
            },
        ),
    )
    urls = "invoices.urls"
    reassign = "invoices.services.reassign_drafts"
    reference_mover = "invoices.services.invoice_references_move"
    demo_seeder = "invoices.demo.seed"
