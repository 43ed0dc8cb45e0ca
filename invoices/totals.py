"""The one rounding rule for every document's money: per line, then summed.

Every amount is rounded to the cent, half a cent up (ROUND_HALF_UP, "commercial rounding": 0.125 -> 0.13,
-0.125 never occurs since nothing here is negative), at these steps of each line, in this order:

    subtotal  = round(quantity x unit_price)
    discount  = round(subtotal x percent / 100)   or the amount given (at most the subtotal)
    net       = subtotal - discount
    each tax  = round(net x rate / 100)           one rounding per tax of the line
    tax       = sum of the line's taxes
    total     = net + tax

The document's subtotal, discount, tax and total are the sums of its lines' (already rounded) amounts, so the
lines printed on the PDF always add up to the totals printed under them. The tax summary groups the lines' tax
amounts by (name, rate). Amounts have two decimal places in every currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    subtotal: Decimal
    discount_amount: Decimal
    net: Decimal
    taxes: list[dict[str, str]]
    tax_amount: Decimal
    total: Decimal


@dataclass
class DocumentTotals:
    lines: list[LineAmounts] = field(default_factory=list)
    subtotal: Decimal = ZERO
    discount_total: Decimal = ZERO
    tax_total: Decimal = ZERO
    total: Decimal = ZERO
    tax_summary: list[dict[str, str]] = field(default_factory=list)


def line_amounts(line: Mapping[str, Any]) -> LineAmounts:
    """The amounts of one line: `quantity`, `unit_price`, `discount_type` (none, percent, amount),
    `discount_value` and `taxes` ([{"name", "rate"}]), all checked by the serializer beforehand."""
    subtotal = cents(Decimal(line["quantity"]) * Decimal(line["unit_price"]))
    kind, value = line.get("discount_type", "none"), Decimal(line.get("discount_value") or 0)
    if kind == "percent":
        discount = cents(subtotal * value / HUNDRED)
    elif kind == "amount":
        discount = min(cents(value), subtotal)
    else:
        discount = ZERO
    net = subtotal - discount
    taxes = []
    for tax in line.get("taxes") or []:
        rate = Decimal(tax["rate"])
        taxes.append({"name": str(tax["name"]), "rate": f"{rate:.3f}", "amount": str(cents(net * rate / HUNDRED))})
    tax_amount = sum((Decimal(tax["amount"]) for tax in taxes), ZERO)
    return LineAmounts(subtotal, discount, net, taxes, tax_amount, net + tax_amount)


def document_totals(lines: Iterable[Mapping[str, Any]]) -> DocumentTotals:
    result = DocumentTotals()
    summary: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        amounts = line_amounts(line)
        result.lines.append(amounts)
        result.subtotal += amounts.subtotal
        result.discount_total += amounts.discount_amount
        result.tax_total += amounts.tax_amount
        result.total += amounts.total
        for tax in amounts.taxes:
            key = (tax["name"], tax["rate"])
            summary[key] = summary.get(key, ZERO) + Decimal(tax["amount"])
    result.tax_summary = [
        {"name": name, "rate": rate, "amount": str(amount)} for (name, rate), amount in summary.items()
    ]
    return result
