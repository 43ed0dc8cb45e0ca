"""Writing a document's lines with their computed amounts, and the document's totals with them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

from common.errors import field_error
from common.models import BaseModel, Profile
from invoices.models import CreditNoteLine, InvoiceLine, LineItem, QuoteLine
from invoices.totals import DocumentTotals, document_totals

LINE_MODELS: dict[str, tuple[type[LineItem], str]] = {
    "invoices.invoice": (InvoiceLine, "invoice"),
    "invoices.quote": (QuoteLine, "quote"),
    "invoices.creditnote": (CreditNoteLine, "credit_note"),
}
LINE_INPUT = ("description", "quantity", "unit_price", "discount_type", "discount_value", "taxes")


def line_model_of(document: BaseModel) -> tuple[type[LineItem], str]:
    return LINE_MODELS[document._meta.label_lower]


def lines_check(lines: list[dict[str, Any]]) -> None:
    limit = int(settings.INVOICE_MAX_LINES)
    if len(lines) > limit:
        raise field_error("lines", "too_many_lines", f"A document has at most {limit} lines.")


def totals_fields(totals: DocumentTotals) -> dict[str, Any]:
    return {
        "subtotal": totals.subtotal,
        "discount_total": totals.discount_total,
        "tax_total": totals.tax_total,
        "total": totals.total,
        "tax_summary": totals.tax_summary,
    }


def lines_totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The totals fields a document with these lines stores."""
    lines_check(lines)
    return totals_fields(document_totals(lines))


def lines_replace(document: BaseModel, actor: Profile | None, lines: list[dict[str, Any]]) -> list[LineItem]:
    """The document's lines become `lines` (in order), each with its amounts. Callers store the totals."""
    model, parent = line_model_of(document)
    model.objects.for_org(document.org).filter(**{parent: document}).delete()
    totals = document_totals(lines)
    rows = []
    for position, (line, amounts) in enumerate(zip(lines, totals.lines, strict=True)):
        rows.append(
            model(
                org=document.org,
                created_by=actor,
                updated_by=actor,
                position=position,
                description=line["description"],
                quantity=Decimal(line["quantity"]),
                unit_price=Decimal(line["unit_price"]),
                discount_type=line.get("discount_type", "none"),
                discount_value=Decimal(line.get("discount_value") or 0),
                taxes=amounts.taxes,
                subtotal=amounts.subtotal,
                discount_amount=amounts.discount_amount,
                net=amounts.net,
                tax_amount=amounts.tax_amount,
                total=amounts.total,
                **{parent: document},
            )
        )
    return model.objects.bulk_create(rows) if rows else []


def lines_as_input(document: BaseModel) -> list[dict[str, Any]]:
    """A document's stored lines as the API takes them (to copy a quote into an invoice, or a credit note)."""
    model, parent = line_model_of(document)
    rows = model.objects.for_org(document.org).filter(**{parent: document}).order_by("position", "id")
    return [line_input(row) for row in rows]


def line_input(row: LineItem) -> dict[str, Any]:
    return {
        "description": row.description,
        "quantity": row.quantity,
        "unit_price": row.unit_price,
        "discount_type": row.discount_type,
        "discount_value": row.discount_value,
        "taxes": [{"name": tax["name"], "rate": Decimal(tax["rate"])} for tax in row.taxes],
    }


def jsonable_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines as stored in JSON (a recurring schedule's template): decimals as strings."""
    return [
        {
            "description": line["description"],
            "quantity": str(line["quantity"]),
            "unit_price": str(line["unit_price"]),
            "discount_type": line.get("discount_type", "none"),
            "discount_value": str(line.get("discount_value") or "0"),
            "taxes": [{"name": tax["name"], "rate": str(tax["rate"])} for tax in line.get("taxes") or []],
        }
        for line in lines
    ]
