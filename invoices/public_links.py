"""The public link of an issued invoice: a signed, unguessable token that names the org, the invoice and the
invoice's current link nonce. A new nonce (a renewed link) or a revocation retires every earlier token."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from rest_framework import status

from common.context import org_context
from common.errors import ApiError, NotFound
from invoices.models import Invoice, InvoiceStatus
from tenants.models import Org, OrgStatus

SALT = "invoices.public-link"
_HEX = 32


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT, sep=".")


class LinkGone(ApiError):
    status_code = status.HTTP_410_GONE
    default_code = "link_revoked"
    default_detail = "This invoice link was revoked. Ask the sender for a new one."


def public_token(invoice: Invoice) -> str:
    return _signer().sign(f"{invoice.org_id.hex}{invoice.pk.hex}{invoice.public_nonce}")


def public_url(invoice: Invoice) -> str | None:
    """The customer's address of an issued invoice, absolute (it goes into emails); None for a draft."""
    if invoice.status == InvoiceStatus.DRAFT or not invoice.public_nonce:
        return None
    path = reverse("api:public-invoice", kwargs={"token": public_token(invoice)})
    return f"{str(settings.PUBLIC_BASE_URL).rstrip('/')}{path}"


def _parsed(token: str) -> tuple[uuid.UUID, uuid.UUID, str]:
    try:
        value = _signer().unsign(token)
        return uuid.UUID(value[:_HEX]), uuid.UUID(value[_HEX : 2 * _HEX]), value[2 * _HEX :]
    except (signing.BadSignature, ValueError):
        raise NotFound() from None


def public_invoice(token: str) -> tuple[Org, Invoice]:
    """The org and invoice of a link. A forged, tampered or unknown token is a 404 like any missing page; a
    link we issued that was revoked or renewed since, or whose invoice is void, is a 410 saying so."""
    org_id, invoice_id, nonce = _parsed(token)
    org = Org.objects.filter(pk=org_id, status=OrgStatus.ACTIVE).first()
    if org is None:
        raise NotFound()
    with org_context(org):
        invoice: Invoice | None = (
            Invoice.objects.for_org(org).exclude(status=InvoiceStatus.DRAFT).filter(pk=invoice_id).first()
        )
    if invoice is None:
        raise NotFound()
    if invoice.public_link_revoked_at is not None or invoice.public_nonce != nonce:
        raise LinkGone()
    if invoice.status == InvoiceStatus.VOID:
        raise LinkGone("This invoice was voided: nothing is owed on it.", code="invoice_void")
    return org, invoice


def public_link_fields(invoice: Invoice) -> dict[str, Any]:
    revoked = invoice.public_link_revoked_at is not None
    return {
        "public_url": None if revoked else public_url(invoice),
        "public_link_revoked_at": invoice.public_link_revoked_at,
    }
