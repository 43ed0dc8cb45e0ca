"""The rounding rule against a table of tricky cases, exact to the cent: per line (half a cent up), then summed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices.tests.helpers import INVOICES, company, json_line
from invoices.totals import document_totals, line_amounts
from tenants.testing.fixtures import Cast, client_for


def _line(
    quantity: str,
    price: str,
    *,
    discount: tuple[str, str] = ("none", "0"),
    taxes: tuple[tuple[str, str], ...] = (),
) -> dict[str, object]:
    return {
        "quantity": Decimal(quantity),
        "unit_price": Decimal(price),
        "discount_type": discount[0],
        "discount_value": Decimal(discount[1]),
        "taxes": [{"name": n, "rate": Decimal(r)} for n, r in taxes],
    }


# (line, subtotal, discount, net, tax, total)
CASES = [
    # Half a cent rounds up: 0.125 -> 0.13, 0.005 -> 0.01, and 1.005 is exact in Decimal (no float surprises).
    pytest.param(_line("1", "0.125"), "0.13", "0.00", "0.13", "0.00", "0.13", id="half-a-cent-up"),
    pytest.param(_line("1", "0.005"), "0.01", "0.00", "0.01", "0.00", "0.01", id="half-a-cent-from-nothing"),
    pytest.param(_line("1", "1.005"), "1.01", "0.00", "1.01", "0.00", "1.01", id="no-binary-float"),
    pytest.param(_line("3", "0.3333"), "1.00", "0.00", "1.00", "0.00", "1.00", id="thirds"),
    pytest.param(_line("1.5", "19.99"), "29.99", "0.00", "29.99", "0.00", "29.99", id="fractional-quantity"),
    # A tax of exactly half a cent: 10.05 x 5% = 0.5025 -> 0.50; 0.10 x 5% = 0.005 -> 0.01.
    pytest.param(
        _line("1", "10.05", taxes=(("VAT", "5"),)), "10.05", "0.00", "10.05", "0.50", "10.55", id="tax-below-half"
    ),
    pytest.param(
        _line("1", "0.10", taxes=(("VAT", "5"),)), "0.10", "0.00", "0.10", "0.01", "0.11", id="tax-at-half-a-cent"
    ),
    # Several taxes, each rounded on its own: 33.33 x 8.875% = 2.958 -> 2.96; x 1.5% = 0.49995 -> 0.50.
    pytest.param(
        _line("1", "33.33", taxes=(("State", "8.875"), ("City", "1.5"))),
        "33.33",
        "0.00",
        "33.33",
        "3.46",
        "36.79",
        id="several-taxes",
    ),
    # A percent discount rounds before tax: 99.99 x 15% = 14.9985 -> 15.00; tax on 84.99.
    pytest.param(
        _line("1", "99.99", discount=("percent", "15"), taxes=(("VAT", "20"),)),
        "99.99",
        "15.00",
        "84.99",
        "17.00",
        "101.99",
        id="percent-discount-then-tax",
    ),
    pytest.param(
        _line("2", "10", discount=("percent", "100")), "20.00", "20.00", "0.00", "0.00", "0.00", id="free"
    ),
    # An amount discount never takes a line below zero.
    pytest.param(
        _line("1", "5", discount=("amount", "7.50")),
        "5.00",
        "5.00",
        "0.00",
        "0.00",
        "0.00",
        id="amount-discount-capped",
    ),
]


@pytest.mark.parametrize(("line", "subtotal", "discount", "net", "tax", "total"), CASES)
def test_a_line_rounds_each_step_to_the_cent_half_up(line, subtotal, discount, net, tax, total) -> None:
    amounts = line_amounts(line)

    assert (
        str(amounts.subtotal),
        str(amounts.discount_amount),
        str(amounts.net),
        str(amounts.tax_amount),
        str(amounts.total),
    ) == (subtotal, discount, net, tax, total)


def test_the_document_sums_its_rounded_lines_not_the_unrounded_ones() -> None:
    # Three lines of 0.125 each: each rounds to 0.13 and the total is 0.39 (not round(0.375) = 0.38).
    totals = document_totals([_line("1", "0.125", taxes=(("VAT", "10"),))] * 3)

    assert (str(totals.subtotal), str(totals.tax_total), str(totals.total)) == ("0.39", "0.03", "0.42")
    assert totals.tax_summary == [{"name": "VAT", "rate": "10.000", "amount": "0.03"}]


@pytest.mark.django_db
def test_a_hundred_line_invoice_is_exact_to_the_cent_over_the_api(cast: Cast) -> None:
    lines = [
        json_line(
            f"Item {n}",
            f"{n % 7 + 1}.5",
            f"{n}.335",
            taxes=[("VAT", "20"), ("Levy", "0.5")],
            discount_type="percent" if n % 3 == 0 else "none",
            discount_value="12.5",
        )
        for n in range(1, 101)
    ]
    expected = document_totals(
        [
            {
                **line,
                "quantity": Decimal(line["quantity"]),
                "unit_price": Decimal(line["unit_price"]),
                "discount_value": Decimal(line["discount_value"]),
            }
            for line in lines
        ]
    )

    response = client_for(cast.owner).post(
        INVOICES, {"company": str(company(cast).pk), "lines": lines}, format="json"
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    assert len(data["lines"]) == 100
    assert sum(Decimal(row["total"]) for row in data["lines"]) == Decimal(data["total"])
    assert (data["subtotal"], data["discount_total"], data["tax_total"], data["total"]) == (
        str(expected.subtotal),
        str(expected.discount_total),
        str(expected.tax_total),
        str(expected.total),
    )
    # Worked out by hand for the first line: 2.5 x 1.335 = 3.3375 -> 3.34; VAT 0.668 -> 0.67; levy 0.0167 -> 0.02.
    assert (data["lines"][0]["subtotal"], data["lines"][0]["tax_amount"], data["lines"][0]["total"]) == (
        "3.34",
        "0.69",
        "4.03",
    )
    assert (data["subtotal"], data["discount_total"], data["tax_total"], data["total"]) == (
        "22674.71",
        "953.38",
        "4452.93",
        "26174.26",
    )
