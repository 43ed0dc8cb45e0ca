"""The payment provider's callback: a signed event that records a payment against the invoice it names.

`X-Keystone-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`, keyed with the org's webhook
secret (InvoiceSettings.webhook_secret) and accepted within INVOICE_WEBHOOK_TOLERANCE_SECONDS of now. Nothing
is read or written before the signature checks out. The provider's event id is a unique row: the same event
again (a retry, a replay) finds it and changes nothing.

Body: {"event_id", "type", "invoice_id", "amount", "currency", "received_on"?, "reference"?, "payer"?}.
`payment.succeeded` records the payment (on the invoice while it owes, the rest as the customer's credit);
other types are kept and otherwise ignored.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from rest_framework import status

from common.context import org_context
from common.errors import ApiError, Conflict, NotFound, field_error
from invoices.customers import customer_fields, customer_of, org_today
from invoices.models import COLLECTIBLE, Invoice, InvoiceSettings, InvoiceStatus, PaymentMethod, ProviderEvent
from invoices.payments import payment_record
from properties.media.signatures import SignatureRefused, signature_verify
from tenants.models import Org, OrgStatus

PAYMENT_SUCCEEDED = "payment.succeeded"


class WebhookRefused(ApiError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "signature_invalid"


def webhook_org(org_id: Any) -> Org:
    org = Org.objects.filter(pk=org_id, status=OrgStatus.ACTIVE).first()
    if org is None:
        raise NotFound()
    return org


def webhook_verify(*, org: Org, body: bytes, signature: str | None) -> None:
    with org_context(org):
        # Read, never made here: an org that never rotated a secret has given none out, and verifies nothing.
        secret = InvoiceSettings.objects.for_org(org).values_list("webhook_secret", flat=True).first() or ""
    try:
        signature_verify(signature, body, secret=secret, tolerance=int(settings.INVOICE_WEBHOOK_TOLERANCE_SECONDS))
    except SignatureRefused as refused:
        raise WebhookRefused(refused.detail, code=refused.code) from None


def webhook_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise ApiError("The body is not JSON.", code="parse_error") from None


def webhook_apply(*, org: Org, event: dict[str, Any], raw: Any) -> tuple[str, Any]:
    """A verified event: (`recorded`, payment id), (`duplicate`, None) or (`ignored`, None)."""
    with org_context(org), transaction.atomic():
        try:
            with transaction.atomic():
                row = ProviderEvent.objects.create(
                    org=org,
                    event_id=event["event_id"],
                    event_type=event["type"],
                    payload=raw if isinstance(raw, dict) else {},
                )
        except IntegrityError:
            return "duplicate", None
        if event["type"] != PAYMENT_SUCCEEDED:
            return "ignored", None
        invoice: Invoice | None = Invoice.objects.for_org(org).filter(pk=event["invoice_id"]).first()
        if invoice is None:
            raise field_error(
                "invoice_id", "does_not_exist", f'Invalid pk "{event["invoice_id"]}" - object does not exist.'
            )
        if invoice.status == InvoiceStatus.DRAFT:
            raise Conflict("The invoice this event names was never issued.", code="invoice_not_issued")
        if event["currency"].upper() != invoice.currency:
            raise field_error("currency", "currency_mismatch", f"The invoice is in {invoice.currency}.")
        customer = customer_of(invoice)
        if customer is None:
            raise Conflict("The customer of this invoice was deleted.", code="customer_missing")
        owing = invoice.balance_due if invoice.status in COLLECTIBLE else 0
        share = min(event["amount"], owing)
        allocations = [{"invoice": invoice, "amount": share}] if share > 0 else []
        data = {
            **customer_fields(customer),
            "currency": invoice.currency,
            "amount": event["amount"],
            "received_on": event.get("received_on") or org_today(org),
            "method": PaymentMethod.PROVIDER,
            "reference": event.get("reference") or event["event_id"],
            "payer": event.get("payer") or "",
            "allocations": allocations,
        }
        # Nothing owed on the invoice any more: all of it is credit, not a payment of the customer's others.
        payment = payment_record(org=org, actor=None, data=data, source="provider", only_credit=not allocations)
        row.payment = payment
        row.save(update_fields=["payment", "updated_at"])
    return "recorded", payment.pk
