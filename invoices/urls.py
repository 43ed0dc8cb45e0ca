"""Routes of payments, credit notes, recurring schedules, the invoice settings and the public invoice routes,
with their rows of the authorization table (the invoice and quote record APIs declare theirs in apps.py)."""

from django.urls import path

from common.access import ADMINS, ALL_ROLES, MANAGERS, Audience, RouteAccess, Scope
from common.roles import Role
from invoices import money_views as views
from invoices import public_views

# Money every customer owes or paid: managers and above, and viewers (who read everything); members work their
# own customers' drafts and do not read the org's ledger.
LEDGER_READERS = MANAGERS | {Role.VIEWER}

urlpatterns = [
    path("payments/", views.PaymentListView.as_view(), name="payments"),
    path("payments/<uuid:payment_id>/", views.PaymentDetailView.as_view(), name="payment-detail"),
    path("payments/<uuid:payment_id>/refund/", views.PaymentRefundView.as_view(), name="payment-refund"),
    path("credit-notes/", views.CreditNoteListView.as_view(), name="credit-notes"),
    path("credit-notes/<uuid:credit_note_id>/", views.CreditNoteDetailView.as_view(), name="credit-note-detail"),
    path("credit-notes/<uuid:credit_note_id>/pdf/", views.CreditNotePdfView.as_view(), name="credit-note-pdf"),
    path("invoice-schedules/", views.ScheduleListView.as_view(), name="invoice-schedules"),
    path(
        "invoice-schedules/<uuid:schedule_id>/",
        views.ScheduleDetailView.as_view(),
        name="invoice-schedule-detail",
    ),
    path("invoice-settings/", views.InvoiceSettingsView.as_view(), name="invoice-settings"),
    path("invoice-settings/webhook-secret/", views.WebhookSecretView.as_view(), name="invoice-webhook-secret"),
    path("public/invoices/<str:token>/", public_views.PublicInvoiceView.as_view(), name="public-invoice"),
    path(
        "public/invoices/<str:token>/pdf/", public_views.PublicInvoicePdfView.as_view(), name="public-invoice-pdf"
    ),
    path(
        "public/orgs/<uuid:org_id>/payment-events/",
        public_views.PaymentWebhookView.as_view(),
        name="invoice-payment-webhook",
    ),
]

_LINK = "An invoice's customer, by the signed, unguessable link in the invoice email."

ROUTES = {
    "payments": RouteAccess(Scope.TENANT, {"GET": LEDGER_READERS, "POST": MANAGERS}),
    "payment-detail": RouteAccess(Scope.TENANT, {"GET": LEDGER_READERS}),
    "payment-refund": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
    "credit-notes": RouteAccess(Scope.TENANT, {"GET": LEDGER_READERS}),
    "credit-note-detail": RouteAccess(Scope.TENANT, {"GET": LEDGER_READERS}),
    "credit-note-pdf": RouteAccess(Scope.TENANT, {"GET": LEDGER_READERS}),
    "invoice-schedules": RouteAccess(Scope.TENANT, {"GET": LEDGER_READERS, "POST": MANAGERS}),
    "invoice-schedule-detail": RouteAccess(
        Scope.TENANT, {"GET": LEDGER_READERS, "PATCH": MANAGERS, "DELETE": MANAGERS}
    ),
    "invoice-settings": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": ADMINS}),
    "invoice-webhook-secret": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "public-invoice": RouteAccess(Scope.PUBLIC, {"GET": Audience.ANYONE}, reason=_LINK),
    "public-invoice-pdf": RouteAccess(Scope.PUBLIC, {"GET": Audience.ANYONE}, reason=_LINK),
    # The signature over the body with the org's secret is the credential; the view checks it.
    "invoice-payment-webhook": RouteAccess(
        Scope.PUBLIC, {"POST": Audience.ANYONE}, reason="The payment provider's signed callback."
    ),
}
