"""Receivables reports: aging buckets per customer and in total, revenue invoiced and collected per month,
outstanding per customer with credit, each as JSON and CSV, with a flat number of queries."""

from __future__ import annotations

import datetime

import pytest

from common.context import org_context
from invoices.models import Invoice
from invoices.tests.helpers import INVOICES, company, contact, issued, line, pay
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2026, 6, 30)


def _due(cast: Cast, customer: object, days_late: int, amount: str = "100") -> Invoice:
    due = AS_OF - datetime.timedelta(days=days_late)
    return issued(
        cast,
        customer=customer,
        issue_date=due - datetime.timedelta(days=30),
        due_date=due,
        lines=[line(unit_price=amount)],
    )


def test_aging_puts_each_open_balance_in_its_bucket_per_customer_and_in_total(cast: Cast) -> None:
    harbour, quay = company(cast), contact(cast, first_name="Quay", last_name="Side")
    for days, amount in (
        (-5, "10"),
        (0, "20"),
        (1, "30"),
        (30, "40"),
        (31, "50"),
        (60, "60"),
        (61, "70"),
        (90, "80"),
        (91, "90"),
    ):
        _due(cast, harbour, days, amount)
    partly = _due(cast, quay, 45, "200")
    pay(cast, partly, "150.00")
    paid = _due(cast, quay, 100, "500")
    pay(cast, paid, "500.00")
    issued(cast, org=cast.org_b)  # another org's receivables never show

    response = client_for(cast.viewer).get(f"{INVOICES}aging/", {"as_of": AS_OF.isoformat()})

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["customers"] == [
        {
            "customer_type": "company",
            "customer_id": str(harbour.pk),
            "name": "Harbour Holdings",
            "currency": "USD",
            "invoices": 9,
            "current": "30.00",
            "days_1_30": "70.00",
            "days_31_60": "110.00",
            "days_61_90": "150.00",
            "days_over_90": "90.00",
            "total": "450.00",
        },
        {
            "customer_type": "contact",
            "customer_id": str(quay.pk),
            "name": "Quay Side",
            "currency": "USD",
            "invoices": 1,
            "current": "0.00",
            "days_1_30": "0.00",
            "days_31_60": "50.00",
            "days_61_90": "0.00",
            "days_over_90": "0.00",
            "total": "50.00",
        },
    ]
    assert data["totals"] == [
        {
            "currency": "USD",
            "invoices": 10,
            "current": "30.00",
            "days_1_30": "70.00",
            "days_31_60": "160.00",
            "days_61_90": "150.00",
            "days_over_90": "90.00",
            "total": "500.00",
        }
    ]


def test_aging_as_csv(cast: Cast) -> None:
    _due(cast, company(cast, name="=cmd|' /C calc'!A0"), 10)

    response = client_for(cast.manager).get(f"{INVOICES}aging/", {"as_of": AS_OF.isoformat(), "export": "csv"})

    assert (response.status_code, response["Content-Type"]) == (200, "text/csv; charset=utf-8")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == [
        "customer_type",
        "customer_id",
        "name",
        "currency",
        "invoices",
        "current",
        "days_1_30",
        "days_31_60",
        "days_61_90",
        "days_over_90",
        "total",
    ]
    assert lines[1].split(",")[2:] == [
        "'=cmd|' /C calc'!A0",
        "USD",
        "1",
        "0.00",
        "100.00",
        "0.00",
        "0.00",
        "0.00",
        "100.00",
    ]
    assert lines[2] == "total,,,USD,1,0.00,100.00,0.00,0.00,0.00,100.00"


def test_revenue_per_month_invoiced_credited_and_collected(cast: Cast) -> None:
    customer = company(cast)
    march = issued(cast, customer=customer, issue_date=datetime.date(2026, 3, 10), lines=[line(unit_price="300")])
    issued(cast, customer=customer, issue_date=datetime.date(2026, 4, 2), lines=[line(unit_price="50")])
    pay(cast, march, "120.00", received_on=datetime.date(2026, 4, 20))
    client = client_for(cast.owner)
    client.post(
        f"{INVOICES}{march.pk}/credit-notes/",
        {"lines": [{"description": "Fix", "quantity": "1", "unit_price": "30"}]},
        format="json",
    )

    response = client.get(f"{INVOICES}revenue/", {"start": "2026-01-01", "end": "2026-12-31"})
    csv = client.get(f"{INVOICES}revenue/", {"start": "2026-01-01", "end": "2026-12-31", "export": "csv"})

    today = datetime.date.today().strftime("%Y-%m")
    assert response.json()["months"] == [
        {"month": "2026-03", "currency": "USD", "invoiced": "300.00", "credited": "0.00", "collected": "0.00"},
        {"month": "2026-04", "currency": "USD", "invoiced": "50.00", "credited": "0.00", "collected": "120.00"},
        *(
            [{"month": today, "currency": "USD", "invoiced": "0.00", "credited": "30.00", "collected": "0.00"}]
            if today.startswith("2026")
            else []
        ),
    ]
    assert csv.content.decode("utf-8-sig").splitlines()[1] == "2026-03,USD,300.00,0.00,0.00"


def test_outstanding_per_customer_with_their_credit(cast: Cast) -> None:
    customer = company(cast)
    first, second = issued(cast, customer=customer), issued(cast, customer=customer)
    pay(cast, first, "130.00", allocated="100.00")

    data = client_for(cast.admin).get(f"{INVOICES}outstanding/").json()

    assert data == {
        "customers": [
            {
                "customer_type": "company",
                "customer_id": str(customer.pk),
                "name": "Harbour Holdings",
                "currency": "USD",
                "invoices": 1,
                "outstanding": "100.00",
                "credit": "30.00",
            }
        ]
    }
    assert second.number


def test_members_do_not_read_the_ledger_reports(cast: Cast) -> None:
    client = client_for(cast.member)

    assert [client.get(f"{INVOICES}{name}/").status_code for name in ("aging", "revenue", "outstanding")] == [
        403
    ] * 3


def test_bad_report_parameters_are_400s(cast: Cast) -> None:
    client = client_for(cast.owner)

    bad_date = client.get(f"{INVOICES}aging/", {"as_of": "tomorrow"})
    bad_export = client.get(f"{INVOICES}aging/", {"export": "xlsx"})
    backwards = client.get(f"{INVOICES}revenue/", {"start": "2026-05-01", "end": "2026-01-01"})

    assert (bad_date.status_code, bad_date.json()["code"]) == (400, "invalid")
    assert (bad_export.status_code, bad_export.json()["code"]) == (400, "invalid_choice")
    assert (backwards.status_code, backwards.json()["code"]) == (400, "after_end")


def test_the_aging_report_costs_the_same_queries_for_one_customer_or_many(cast: Cast) -> None:
    client = client_for(cast.manager)
    _due(cast, company(cast), 10)

    def grow() -> None:
        for n in range(12):
            _due(cast, company(cast, name=f"Customer {n}"), n * 9)

    assert_flat_query_count(lambda: client.get(f"{INVOICES}aging/", {"as_of": AS_OF.isoformat()}), grow)
    with org_context(cast.org_a):
        assert Invoice.objects.count() == 13
