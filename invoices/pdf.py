"""Invoices, quotes and credit notes as PDF: the org's logo, address and tax ids, the customer's billing address,
the lines with their taxes, the totals and how to pay.

Drawn with fpdf2 (pure Python, already used for campaign reports) in its built-in Helvetica, which holds
Windows-1252 characters: text beyond them is shown as its closest Latin form or `?` (campaigns.reports does
the same). Rendering runs in a worker after the document is issued, never inside the issuing transaction.
"""

from __future__ import annotations

import datetime
import io
import logging
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fpdf import FPDF
from PIL import Image

logger = logging.getLogger("crm.invoices")

PDF_ENCODING = "windows-1252"
TITLES = {"invoice": "Invoice", "quote": "Quote", "credit_note": "Credit note"}
LOGO_BOX_MM = (50, 22)


@dataclass
class PdfDocument:
    """Everything the page shows, gathered by invoices.delivery (so drawing needs no database)."""

    kind: str
    number: str
    status: str
    currency: str
    org_name: str
    org_address: str
    tax_ids: list[dict[str, str]]  # [{"name": "VAT", "value": "GB123"}]
    payment_instructions: str
    billing_lines: list[str]
    dates: list[tuple[str, str]]
    lines: list[dict[str, Any]]
    totals: list[tuple[str, Decimal]]
    total: Decimal
    notes: str = ""
    reference: str = ""
    logo: bytes | None = None
    due_lines: list[tuple[str, Decimal]] = field(default_factory=list)


def printable(text: Any) -> str:
    text = "" if text is None else str(text)
    try:
        text.encode(PDF_ENCODING)
        return text
    except UnicodeEncodeError:
        pass
    chars = []
    for char in text:
        try:
            char.encode(PDF_ENCODING)
            chars.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            chars.append(plain or "?")
    return "".join(chars)


def money(amount: Decimal, currency: str) -> str:
    return f"{currency} {Decimal(amount):,.2f}"


def quantity(value: Decimal) -> str:
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.set_text_color(120)
        self.cell(0, 6, printable(f"{self.footer_text} - page {self.page_no()}/{{nb}}"), align="C")


def _logo(pdf: FPDF, data: bytes | None) -> None:
    if not data:
        return
    try:
        image: Image.Image = Image.open(io.BytesIO(data))
        image.load()
        if image.mode not in ("RGB", "L"):
            # Transparent logos are laid on white: the page is white.
            background = Image.new("RGB", image.size, (255, 255, 255))
            background.paste(image.convert("RGBA"), mask=image.convert("RGBA").split()[-1])
            image = background
        width, height = image.size
        scale = min(LOGO_BOX_MM[0] / width, LOGO_BOX_MM[1] / height)
        pdf.image(image, x=pdf.l_margin, y=12, w=width * scale, h=height * scale)
    except Exception:  # a damaged logo must not stop an invoice from being issued
        logger.warning("could not draw the org logo on a document", exc_info=True)


def _right_block(pdf: FPDF, rows: list[tuple[str, str]], *, bold_last: bool = False) -> None:
    for index, (label, value) in enumerate(rows):
        is_bold = bold_last and index == len(rows) - 1
        pdf.set_font("Helvetica", "B" if is_bold else "", 10)
        pdf.set_x(115)
        pdf.cell(45, 6, printable(label), align="R")
        pdf.cell(35, 6, printable(value), align="R", new_x="LMARGIN", new_y="NEXT")


def document_pdf(doc: PdfDocument) -> bytes:
    pdf = _Pdf(format="A4")
    pdf.core_fonts_encoding = PDF_ENCODING
    title = TITLES.get(doc.kind, doc.kind)
    pdf.footer_text = f"{doc.org_name} - {title} {doc.number}"
    pdf.set_title(printable(f"{title} {doc.number}"))
    pdf.set_author(printable(doc.org_name))
    pdf.set_creator("Keystone CRM")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    _logo(pdf, doc.logo)

    # The seller, top right.
    pdf.set_xy(110, 12)
    pdf.set_font("Helvetica", "B", 12)
    pdf.multi_cell(85, 6, printable(doc.org_name), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    seller = [line for line in doc.org_address.splitlines() if line.strip()]
    seller += [f"{item.get('name', '')}: {item.get('value', '')}".strip(": ") for item in doc.tax_ids]
    for text in seller:
        pdf.set_x(110)
        pdf.multi_cell(85, 5, printable(text), align="R", new_x="LMARGIN", new_y="NEXT")

    # The title and number, then who it is for beside its dates.
    pdf.set_y(max(pdf.get_y(), 40) + 6)
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 10, printable(f"{title} {doc.number}"), new_x="LMARGIN", new_y="NEXT")
    if doc.status in ("void", "paid", "uncollectible", "accepted", "declined", "expired"):
        pdf.set_font("Helvetica", "B", 11)
        pdf.set_text_color(190, 30, 30) if doc.status == "void" else pdf.set_text_color(30, 120, 60)
        pdf.cell(0, 6, printable(doc.status.replace("_", " ").upper()), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
    if doc.reference:
        pdf.set_font("Helvetica", size=10)
        pdf.cell(0, 6, printable(doc.reference), new_x="LMARGIN", new_y="NEXT")
    top = pdf.get_y() + 4
    pdf.set_xy(pdf.l_margin, top)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(90, 6, "Bill to", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for text in doc.billing_lines:
        pdf.multi_cell(90, 5, printable(text), new_x="LMARGIN", new_y="NEXT")
    left_bottom = pdf.get_y()
    pdf.set_y(top)
    _right_block(pdf, [(label, value) for label, value in doc.dates])
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)

    # The lines.
    pdf.set_font("Helvetica", size=9)
    headings = ["Description", "Qty", "Unit price", "Discount", "Taxes", "Amount"]
    with pdf.table(
        col_widths=(70, 14, 26, 22, 30, 28),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT", "RIGHT"),
        line_height=5,
        first_row_as_headings=True,
    ) as table:
        head = table.row()
        for heading in headings:
            head.cell(heading)
        for line in doc.lines:
            row = table.row()
            row.cell(printable(line["description"]))
            row.cell(quantity(line["quantity"]))
            row.cell(printable(money(line["unit_price"], doc.currency)))
            row.cell(printable(money(line["discount_amount"], doc.currency)) if line["discount_amount"] else "-")
            taxes = "; ".join(f"{tax['name']} {Decimal(tax['rate']).normalize():f}%" for tax in line["taxes"])
            row.cell(printable(taxes or "-"))
            row.cell(printable(money(line["net"], doc.currency)))
    pdf.ln(4)

    rows = [(label, money(amount, doc.currency)) for label, amount in doc.totals]
    rows.append(("Total", money(doc.total, doc.currency)))
    _right_block(pdf, rows, bold_last=True)
    if doc.due_lines:
        pdf.ln(2)
        _right_block(
            pdf, [(label, money(amount, doc.currency)) for label, amount in doc.due_lines], bold_last=True
        )

    for heading, text in (("Notes", doc.notes), ("How to pay", doc.payment_instructions)):
        if text.strip():
            pdf.ln(5)
            pdf.set_font("Helvetica", "B", 10)
            pdf.cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=9)
            pdf.multi_cell(0, 5, printable(text), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def iso(value: datetime.date | None) -> str:
    return value.isoformat() if value is not None else "-"
