"""Payments split across one customer's invoices, overpayments kept as credit (never a negative balance), refunds,
credit applied, credit notes, and every money-moving action in the org audit log."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from common.context import org_context
from invoices.models import CreditEntry, Payment
from invoices.tests.helpers import INVOICES, PAYMENTS, company, contact, issued, line, pay, stored
from tenants.models import AuditEvent
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import RANDOM_ID

pytestmark = pytest.mark.django_db


def _credit(customer: object, org: object) -> Decimal:
    with org_context(org):  # type: ignore[arg-type]
        return sum((row.amount for row in CreditEntry.objects.filter(company=customer)), Decimal("0.00"))


def _state(invoice: object) -> tuple[str, str, str]:
    fresh = stored(invoice)  # type: ignore[arg-type]
    return fresh.status, str(fresh.amount_paid), str(fresh.balance_due)


def test_a_payment_split_across_two_invoices_moves_both_balances_and_states_and_is_audited(cast: Cast) -> None:
    customer = company(cast)
    first, second = (
        issued(cast, customer=customer),
        issued(cast, customer=customer, lines=[line(unit_price="250")]),
    )
    body = {
        "company": str(customer.pk),
        "amount": "300.00",
        "received_on": "2026-03-05",
        "method": "card",
        "reference": "ch_123",
        "payer": "Harbour Holdings AP",
        "allocations": [
            {"invoice": str(first.pk), "amount": "100.00"},
            {"invoice": str(second.pk), "amount": "200.00"},
        ],
    }

    response = client_for(cast.manager).post(PAYMENTS, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["amount"], data["credit"], data["method"], data["payer"]) == (
        "300.00",
        "0.00",
        "card",
        "Harbour Holdings AP",
    )
    assert [(row["invoice_number"], row["amount"]) for row in data["allocations"]] == [
        (first.number, "100.00"),
        (second.number, "200.00"),
    ]
    assert _state(first) == ("paid", "100.00", "0.00")
    assert _state(second) == ("partially_paid", "200.00", "50.00")
    audit = AuditEvent.objects.get(action="payment_recorded")
    assert audit.details == {
        "amount": "300.00",
        "currency": "USD",
        "source": "manual",
        "credit": "0.00",
        "allocations": {first.number: "100.00", second.number: "200.00"},
    }


def test_an_overpayment_becomes_customer_credit_never_a_negative_balance(cast: Cast) -> None:
    customer = company(cast)
    invoice = issued(cast, customer=customer)

    response = client_for(cast.owner).post(
        PAYMENTS,
        {
            "company": str(customer.pk),
            "amount": "130.00",
            "received_on": "2026-03-05",
            "allocations": [{"invoice": str(invoice.pk), "amount": "100.00"}],
        },
        format="json",
    )
    too_much = client_for(cast.owner).post(
        PAYMENTS,
        {
            "company": str(customer.pk),
            "amount": "50.00",
            "received_on": "2026-03-05",
            "allocations": [{"invoice": str(invoice.pk), "amount": "50.00"}],
        },
        format="json",
    )

    assert response.json()["credit"] == "30.00"
    assert _state(invoice) == ("paid", "100.00", "0.00")
    assert _credit(customer, cast.org_a) == Decimal("30.00")
    assert (too_much.status_code, too_much.json()["code"]) == (400, "not_collectible")


def test_without_allocations_a_payment_pays_the_oldest_due_invoices_first(cast: Cast) -> None:
    customer = contact(cast)
    older = issued(
        cast, customer=customer, issue_date=datetime.date(2026, 1, 1), due_date=datetime.date(2026, 1, 15)
    )
    newer = issued(
        cast, customer=customer, issue_date=datetime.date(2026, 2, 1), due_date=datetime.date(2026, 2, 15)
    )

    response = client_for(cast.owner).post(
        PAYMENTS, {"contact": str(customer.pk), "amount": "150.00", "received_on": "2026-03-01"}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert _state(older) == ("paid", "100.00", "0.00")
    assert _state(newer) == ("partially_paid", "50.00", "50.00")


def test_allocations_must_name_the_customers_own_invoices_in_this_org(cast: Cast) -> None:
    customer = company(cast)
    ours = issued(cast, customer=customer)
    someone_elses = issued(cast, customer=company(cast, name="Other Ltd"))
    theirs = issued(cast, org=cast.org_b)
    client = client_for(cast.owner)

    def allocate(invoice_id: object) -> object:
        return client.post(
            PAYMENTS,
            {
                "company": str(customer.pk),
                "amount": "10.00",
                "received_on": "2026-03-01",
                "allocations": [{"invoice": str(invoice_id), "amount": "10.00"}],
            },
            format="json",
        )

    foreign, random, other_customer, over = (
        allocate(theirs.pk),
        allocate(RANDOM_ID),
        allocate(someone_elses.pk),
        client.post(
            PAYMENTS,
            {
                "company": str(customer.pk),
                "amount": "500.00",
                "received_on": "2026-03-01",
                "allocations": [{"invoice": str(ours.pk), "amount": "500.00"}],
            },
            format="json",
        ),
    )

    def does_not_exist(value: object) -> dict[str, object]:
        error = {"code": "does_not_exist", "detail": f'Invalid pk "{value}" - object does not exist.'}
        return {**error, "fields": {"allocations.0.invoice": [error]}}

    assert (foreign.status_code, foreign.json()) == (400, does_not_exist(theirs.pk))
    assert (random.status_code, random.json()) == (400, does_not_exist(RANDOM_ID))
    assert (other_customer.status_code, other_customer.json()["code"]) == (400, "customer_mismatch")
    assert (over.status_code, over.json()["code"]) == (400, "over_balance")
    with org_context(cast.org_a):
        assert not Payment.objects.exists()
    assert _state(ours) == ("open", "0.00", "100.00")


def test_a_member_and_a_viewer_cannot_record_payments(cast: Cast) -> None:
    invoice = issued(cast)
    body = {
        "amount": "10.00",
        "received_on": "2026-03-01",
        "allocations": [{"invoice": str(invoice.pk), "amount": "10"}],
    }

    assert client_for(cast.member).post(PAYMENTS, body, format="json").status_code == 403
    assert client_for(cast.viewer).post(PAYMENTS, body, format="json").status_code == 403
    assert _state(invoice) == ("open", "0.00", "100.00")


def test_a_refund_takes_from_the_credit_first_then_from_the_invoices_it_paid(cast: Cast) -> None:
    customer = company(cast)
    invoice = issued(cast, customer=customer)
    payment = pay(cast, invoice, "120.00", allocated="100.00")  # 100 on the invoice, 20 of credit
    client = client_for(cast.manager)

    first = client.post(f"{PAYMENTS}{payment.pk}/refund/", {"amount": "50.00", "reference": "re_1"}, format="json")
    too_much = client.post(f"{PAYMENTS}{payment.pk}/refund/", {"amount": "80.00"}, format="json")

    assert first.status_code == 201, first.json()
    assert (first.json()["kind"], first.json()["refund_of"], first.json()["amount"]) == (
        "refund",
        str(payment.pk),
        "50.00",
    )
    assert _credit(customer, cast.org_a) == Decimal("0.00")
    assert _state(invoice) == ("partially_paid", "70.00", "30.00")
    assert (too_much.status_code, too_much.json()["code"]) == (400, "over_refund")
    assert AuditEvent.objects.filter(action="payment_refunded").count() == 1
    paid_back = client_for(cast.viewer).get(f"{INVOICES}{invoice.pk}/payments/").json()
    assert [row["amount"] for row in paid_back] == ["100.00", "-30.00"]


def test_credit_is_applied_to_another_invoice_of_the_same_customer(cast: Cast) -> None:
    customer = company(cast)
    first, second = issued(cast, customer=customer), issued(cast, customer=customer)
    pay(cast, first, "160.00", allocated="100.00")

    response = client_for(cast.manager).post(f"{INVOICES}{second.pk}/apply-credit/", {}, format="json")
    none_left = client_for(cast.manager).post(
        f"{INVOICES}{second.pk}/apply-credit/", {"amount": "1.00"}, format="json"
    )

    assert (response.json()["status"], response.json()["amount_paid"], response.json()["balance_due"]) == (
        "partially_paid",
        "60.00",
        "40.00",
    )
    assert _credit(customer, cast.org_a) == Decimal("0.00")
    assert (none_left.status_code, none_left.json()["code"]) == (400, "insufficient_credit")


def test_a_credit_note_lowers_the_balance_and_what_was_paid_beyond_it_becomes_credit(cast: Cast) -> None:
    customer = company(cast)
    invoice = issued(cast, customer=customer, lines=[line("Photos", 2, "100", taxes=[("VAT", "20")])])  # 240.00
    pay(cast, invoice, "200.00")
    client = client_for(cast.manager)

    note = client.post(
        f"{INVOICES}{invoice.pk}/credit-notes/",
        {
            "reason": "One photo not delivered",
            "lines": [
                {
                    "description": "Photos",
                    "quantity": "1",
                    "unit_price": "100",
                    "taxes": [{"name": "VAT", "rate": "20"}],
                }
            ],
        },
        format="json",
    )
    over = client.post(f"{INVOICES}{invoice.pk}/credit-notes/", {}, format="json")

    assert note.status_code == 201, note.json()
    assert (note.json()["number"], note.json()["total"], note.json()["invoice_number"]) == (
        f"CN-{datetime.date.today().year}-00001",
        "120.00",
        invoice.number,
    )
    fresh = stored(invoice)
    assert (fresh.status, str(fresh.amount_credited), str(fresh.balance_due)) == ("paid", "120.00", "0.00")
    assert _credit(customer, cast.org_a) == Decimal("80.00")
    assert (over.status_code, over.json()["code"]) == (400, "over_credit")
    assert AuditEvent.objects.filter(action="credit_note_issued").count() == 1


def test_a_refund_of_another_orgs_payment_is_a_404(cast: Cast) -> None:
    theirs = issued(cast, org=cast.org_b)
    payment = pay(cast, theirs, "10.00")

    response = client_for(cast.owner).post(f"{PAYMENTS}{payment.pk}/refund/", {"amount": "1.00"}, format="json")

    assert (response.status_code, response.json()["code"]) == (404, "not_found")
