"""After a document is issued: its PDF drawn by a worker and kept in the default storage, and emailed with the
PDF attached to the customer's billing emails. Everything here runs after commit, in tasks (invoices.tasks)."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from common.errors import NotFound
from common.metrics import email_counted
from invoices.customers import org_today
from invoices.lines import line_model_of
from invoices.models import CreditNote, Invoice, InvoiceStatus, Quote
from invoices.org_settings import invoice_settings_of
from invoices.pdf import PdfDocument, document_pdf, iso
from invoices.public_links import public_url
from records import services as records
from tenants.mail import render_email
from tenants.models import Org, OrgStatus
from tenants.pipeline.tasks import enqueue

logger = logging.getLogger("crm.invoices")

Document = Invoice | Quote | CreditNote
KINDS: dict[str, type[Document]] = {"invoice": Invoice, "quote": Quote, "credit_note": CreditNote}
LABELS = {"invoice": "invoice", "quote": "quote", "credit_note": "credit note"}


def kind_of(document: Document) -> str:
    return {Invoice: "invoice", Quote: "quote", CreditNote: "credit_note"}[type(document)]


def document_of(org: Org, kind: str, document_id: Any) -> Document:
    model = KINDS.get(kind)
    found = model.objects.for_org(org).filter(pk=document_id).first() if model is not None else None
    if found is None:
        raise NotFound()
    return found


# --- Scheduling (inside the issuing transaction; the work runs after commit) ---------------------------------


def document_issued(document: Document, *, send: bool) -> None:
    from invoices import tasks

    enqueue(tasks.document_render, kind_of(document), str(document.pk), send)


def document_rerender(document: Document) -> None:
    """Draw it again (a voided invoice's PDF says VOID)."""
    from invoices import tasks

    enqueue(tasks.document_render, kind_of(document), str(document.pk), False)


def document_send(document: Document) -> None:
    from invoices import tasks

    enqueue(tasks.document_email, kind_of(document), str(document.pk), "document")


# --- The PDF ------------------------------------------------------------------------------------------------


def _billing_lines(document: Document) -> list[str]:
    place = " ".join(part for part in (document.billing_postal_code, document.billing_city) if part)
    parts = [
        document.billing_name,
        document.billing_street,
        place,
        document.billing_region,
        document.billing_country,
    ]
    return [part for part in parts if part]


def _logo_bytes(org: Org) -> bytes | None:
    if not org.logo:
        return None
    try:
        with org.logo.open("rb") as handle:
            return bytes(handle.read())
    except (FileNotFoundError, OSError):
        return None


def pdf_document_of(document: Document) -> PdfDocument:
    org = Org.objects.get(pk=document.org_id)
    settings_row = invoice_settings_of(org)
    kind = kind_of(document)
    model, parent = line_model_of(document)
    lines = list(
        model.objects.for_org(org)
        .filter(**{parent: document})
        .order_by("position", "id")
        .values("description", "quantity", "unit_price", "discount_amount", "taxes", "net")
    )
    totals: list[tuple[str, Decimal]] = [("Subtotal", document.subtotal)]
    if document.discount_total:
        totals.append(("Discount", -document.discount_total))
    for tax in document.tax_summary:
        totals.append((f"{tax['name']} {Decimal(tax['rate']).normalize():f}%", Decimal(tax["amount"])))
    dates: list[tuple[str, str]] = []
    due_lines: list[tuple[str, Decimal]] = []
    reference = ""
    if isinstance(document, Invoice):
        dates = [("Issued", iso(document.issue_date)), ("Due", iso(document.due_date))]
        if document.amount_paid:
            due_lines.append(("Paid", -document.amount_paid))
        if document.amount_credited:
            due_lines.append(("Credited", -document.amount_credited))
        due_lines.append(("Balance due", document.balance_due))
    elif isinstance(document, Quote):
        dates = [("Issued", iso(document.issue_date)), ("Valid until", iso(document.valid_until))]
    else:
        dates = [("Issued", iso(document.issue_date))]
        reference = f"Credits invoice {document.invoice.number}" + (
            f": {document.reason}" if document.reason else ""
        )
    return PdfDocument(
        kind=kind,
        number=document.number,
        status=getattr(document, "status", ""),
        currency=document.currency,
        org_name=org.name,
        org_address=settings_row.address,
        tax_ids=list(settings_row.tax_ids or []),
        payment_instructions=settings_row.payment_instructions if kind == "invoice" else "",
        billing_lines=_billing_lines(document),
        dates=dates,
        lines=lines,
        totals=totals,
        total=document.total,
        notes=getattr(document, "notes", ""),
        reference=reference,
        logo=_logo_bytes(org),
        due_lines=due_lines,
    )


def pdf_file_name(document: Document) -> str:
    return f"{document.number or document.pk}.pdf"


def pdf_render_store(document: Document) -> str:
    """Draw the document and keep the file; the row points at the new file, the old one is removed."""
    content = document_pdf(pdf_document_of(document))
    folder = f"invoices/{document.org_id.hex}/{kind_of(document)}"
    name = default_storage.save(f"{folder}/{document.pk.hex}-{pdf_file_name(document)}", ContentFile(content))
    old = document.pdf.name if document.pdf else ""
    type(document).objects.for_org(document.org_id).filter(pk=document.pk).update(
        pdf=name, pdf_rendered_at=timezone.now()
    )
    document.pdf.name, document.pdf_rendered_at = name, timezone.now()
    if old and old != name:
        default_storage.delete(old)
    return name


def pdf_bytes(document: Document) -> bytes:
    """The stored PDF; drawn now (and kept) if the worker has not drawn it yet or the file went missing."""
    if document.pdf:
        try:
            with default_storage.open(str(document.pdf.name), "rb") as handle:
                return bytes(handle.read())
        except FileNotFoundError:
            logger.warning(
                "the PDF of %s %s is missing from storage; drawing it again", kind_of(document), document.pk
            )
    name = pdf_render_store(document)
    with default_storage.open(name, "rb") as handle:
        return bytes(handle.read())


# --- Email --------------------------------------------------------------------------------------------------


def _journal_target(document: Document) -> Invoice | Quote:
    return document.invoice if isinstance(document, CreditNote) else document


def _org_may_send(org: Org) -> bool:
    return org.status == OrgStatus.ACTIVE


def email_context(
    document: Document, org: Org, purpose: str, step: int | None = None, days_overdue: int | None = None
) -> dict[str, Any]:
    kind = kind_of(document)
    context: dict[str, Any] = {
        "org_name": org.name,
        "kind": LABELS[kind],
        "number": document.number,
        "currency": document.currency,
        "total": f"{document.total:,.2f}",
        "customer_name": document.billing_name,
        "purpose": purpose,
        "link": public_url(document) if isinstance(document, Invoice) else None,
    }
    if isinstance(document, Invoice):
        context.update(due_date=iso(document.due_date), balance_due=f"{document.balance_due:,.2f}")
        if days_overdue is not None:
            context["days_overdue"] = days_overdue  # as counted when the reminder was due
        elif document.due_date is not None:
            context["days_overdue"] = (org_today(org) - document.due_date).days
    if isinstance(document, Quote):
        context["valid_until"] = iso(document.valid_until)
    if step is not None:
        context["step"] = step
    return context


def document_email(
    document: Document, *, purpose: str = "document", step: int | None = None, days_overdue: int | None = None
) -> list[str]:
    """Email the document (PDF attached) to its billing emails; `purpose` is `document` or `reminder`. Says on
    the record's timeline whom it was sent to, or that nobody could be. Returns the recipients."""
    org = Org.objects.get(pk=document.org_id)
    emails = list(
        getattr(document, "billing_emails", None) or getattr(_journal_target(document), "billing_emails", [])
    )
    target = _journal_target(document)
    if not emails or not _org_may_send(org):
        reason = "no_billing_email" if not emails else "org_not_active"
        records.log_activity(target, None, "email_skipped", {"number": document.number, "reason": reason})
        return []
    template = "invoice_reminder" if purpose == "reminder" else "invoice_document"
    subject, text, html = render_email(template, email_context(document, org, purpose, step, days_overdue))
    message = EmailMultiAlternatives(subject=subject, body=text, to=emails)
    message.attach_alternative(html, "text/html")
    message.attach(pdf_file_name(document), pdf_bytes(document), "application/pdf")
    with email_counted(template):
        message.send()
    records.log_activity(target, None, "emailed", {"number": document.number, "to": emails, "purpose": purpose})
    if purpose == "document" and isinstance(document, (Invoice, Quote)):
        type(document).objects.for_org(org).filter(pk=document.pk).update(sent_at=timezone.now())
    return emails


def is_sendable(document: Document) -> bool:
    return not (isinstance(document, Invoice) and document.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID))
