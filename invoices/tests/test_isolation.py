"""Isolation on every invoice route (another org's id by URL is the same 404 as a random one, by filter an empty
page) and a flat query count on every list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from common.context import org_context
from invoices import recurring, services
from invoices.tests.helpers import INVOICES, PAYMENTS, QUOTES, company, contact, draft, issued, line, pay, quote
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import RANDOM_ID, assert_foreign_ids_find_nothing
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db
NOT_FOUND = {"code": "not_found", "detail": "Not found.", "fields": {}}


def _theirs(cast: Cast) -> dict[str, Any]:
    """One of each thing in org B, as org B's owner made it."""
    invoice = issued(cast, org=cast.org_b)
    offer = quote(cast, org=cast.org_b)
    payment = pay(cast, invoice, "10.00")
    with org_context(cast.org_b):
        note = services.credit_note_create(
            org=cast.org_b, actor=cast.other_owner, invoice_id=invoice.pk, data={"lines": [line(unit_price="5")]}
        )
        schedule = recurring.schedule_create(
            org=cast.org_b,
            actor=cast.other_owner,
            data={
                "company": invoice.company,
                "name": "Theirs",
                "frequency": "monthly",
                "start_date": "2030-01-01",
                "lines": [line()],
            },
        )
    return {
        "invoice": invoice.pk,
        "quote": offer.pk,
        "payment": payment.pk,
        "note": note.pk,
        "schedule": schedule.pk,
        "company": invoice.company_id,
    }


def test_another_orgs_records_by_url_are_the_same_404_as_random_ids(cast: Cast) -> None:
    theirs = _theirs(cast)
    client = client_for(cast.owner)
    routes = [
        ("get", f"{INVOICES}{{}}/", theirs["invoice"]),
        ("patch", f"{INVOICES}{{}}/", theirs["invoice"]),
        ("delete", f"{INVOICES}{{}}/", theirs["invoice"]),
        ("post", f"{INVOICES}{{}}/finalize/", theirs["invoice"]),
        ("post", f"{INVOICES}{{}}/void/", theirs["invoice"]),
        ("post", f"{INVOICES}{{}}/send/", theirs["invoice"]),
        ("post", f"{INVOICES}{{}}/mark-uncollectible/", theirs["invoice"]),
        ("post", f"{INVOICES}{{}}/apply-credit/", theirs["invoice"]),
        ("get", f"{INVOICES}{{}}/credit-notes/", theirs["invoice"]),
        ("post", f"{INVOICES}{{}}/credit-notes/", theirs["invoice"]),
        ("get", f"{INVOICES}{{}}/payments/", theirs["invoice"]),
        ("get", f"{INVOICES}{{}}/pdf/", theirs["invoice"]),
        ("post", f"{INVOICES}{{}}/public-link/", theirs["invoice"]),
        ("delete", f"{INVOICES}{{}}/public-link/", theirs["invoice"]),
        ("get", f"{INVOICES}{{}}/timeline/", theirs["invoice"]),
        ("get", f"{QUOTES}{{}}/", theirs["quote"]),
        ("post", f"{QUOTES}{{}}/send/", theirs["quote"]),
        ("post", f"{QUOTES}{{}}/accept/", theirs["quote"]),
        ("post", f"{QUOTES}{{}}/decline/", theirs["quote"]),
        ("post", f"{QUOTES}{{}}/convert/", theirs["quote"]),
        ("get", f"{QUOTES}{{}}/pdf/", theirs["quote"]),
        ("get", f"{PAYMENTS}{{}}/", theirs["payment"]),
        ("post", f"{PAYMENTS}{{}}/refund/", theirs["payment"]),
        ("get", "/api/credit-notes/{}/", theirs["note"]),
        ("get", "/api/credit-notes/{}/pdf/", theirs["note"]),
        ("get", "/api/invoice-schedules/{}/", theirs["schedule"]),
        ("patch", "/api/invoice-schedules/{}/", theirs["schedule"]),
        ("delete", "/api/invoice-schedules/{}/", theirs["schedule"]),
    ]

    for method, template, foreign_id in routes:
        body = {"amount": "1.00"} if "refund" in template else {}
        foreign = getattr(client, method)(template.format(foreign_id), body, format="json")
        random = getattr(client, method)(template.format(RANDOM_ID), body, format="json")
        assert (foreign.status_code, foreign.json()) == (404, NOT_FOUND), (method, template)
        assert (random.status_code, random.json()) == (404, NOT_FOUND), (method, template)


def test_another_orgs_ids_in_filters_find_nothing(cast: Cast) -> None:
    theirs = _theirs(cast)
    ours = issued(cast)
    quote(cast)
    pay(cast, ours, "10.00")
    client = client_for(cast.owner)

    assert_foreign_ids_find_nothing(client, INVOICES, {"company": theirs["company"]})
    assert_foreign_ids_find_nothing(client, QUOTES, {"company": theirs["company"]})
    assert_foreign_ids_find_nothing(client, PAYMENTS, {"company": theirs["company"], "invoice": theirs["invoice"]})
    with org_context(cast.org_a):
        services.credit_note_create(
            org=cast.org_a, actor=cast.owner, invoice_id=ours.pk, data={"lines": [line(unit_price="5")]}
        )
    assert_foreign_ids_find_nothing(client, "/api/credit-notes/", {"invoice": theirs["invoice"]})


def test_a_member_sees_only_invoices_they_made_or_are_assigned(cast: Cast) -> None:
    mine = draft(cast, actor=cast.member, customer=company(cast, assigned_to=[cast.member.pk]))
    hidden = draft(cast)
    client = client_for(cast.member)

    listed = client.get(INVOICES).json()
    detail = client.get(f"{INVOICES}{hidden.pk}/")

    assert [row["id"] for row in listed["results"]] == [str(mine.pk)]
    assert (detail.status_code, detail.json()) == (404, NOT_FOUND)


LISTS: dict[str, Callable[[Cast], Any]] = {
    INVOICES: lambda cast: issued(cast, customer=contact(cast, email="")),
    QUOTES: lambda cast: quote(cast),
    PAYMENTS: lambda cast: pay(cast, issued(cast), "40.00"),
    "/api/credit-notes/": lambda cast: _credit_note(cast),
    "/api/invoice-schedules/": lambda cast: _schedule(cast),
    f"{INVOICES}export/": lambda cast: draft(cast),
    f"{INVOICES}outstanding/": lambda cast: issued(cast, customer=company(cast)),
    f"{INVOICES}revenue/": lambda cast: pay(cast, issued(cast), "10.00"),
}


def _credit_note(cast: Cast) -> Any:
    invoice = issued(cast)
    with org_context(cast.org_a):
        return services.credit_note_create(org=cast.org_a, actor=cast.owner, invoice_id=invoice.pk, data={})


def _schedule(cast: Cast) -> Any:
    with org_context(cast.org_a):
        return recurring.schedule_create(
            org=cast.org_a,
            actor=cast.owner,
            data={
                "company": company(cast),
                "name": "Retainer",
                "frequency": "monthly",
                "start_date": "2030-01-01",
                "lines": [line()],
            },
        )


@pytest.mark.parametrize("url", list(LISTS))
def test_every_list_costs_the_same_queries_for_one_row_or_many(cast: Cast, url: str) -> None:
    client = client_for(cast.owner)
    LISTS[url](cast)

    def grow() -> None:
        for _ in range(8):
            LISTS[url](cast)

    def read() -> Any:
        response = client.get(url)
        assert response.status_code == 200
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        return response

    assert_flat_query_count(read, grow)


def test_the_invoice_detail_pages_cost_the_same_queries_for_one_line_or_a_hundred(cast: Cast) -> None:
    small, large = draft(cast), draft(cast, lines=[line(f"Item {n}") for n in range(100)])
    client = client_for(cast.owner)

    def read(invoice: Any) -> Callable[[], Any]:
        return lambda: client.get(f"{INVOICES}{invoice.pk}/")

    from tenants.testing.queries import count_queries

    read(small)()
    assert (
        count_queries(read(small), include_search_path=False)[0]
        == count_queries(read(large), include_search_path=False)[0]
    )
    payments_of = client.get(f"{INVOICES}{issued(cast).pk}/payments/")
    assert payments_of.json() == []


def test_an_invoices_payments_and_credit_notes_cost_the_same_queries_for_one_or_many(cast: Cast) -> None:
    invoice = issued(cast, lines=[line(unit_price="1000")])
    client = client_for(cast.owner)
    pay(cast, invoice, "1.00")
    with org_context(cast.org_a):
        services.credit_note_create(org=cast.org_a, actor=cast.owner, invoice_id=invoice.pk,
                                    data={"lines": [line(unit_price="1")]})  # fmt: skip

    def grow() -> None:
        for _ in range(6):
            pay(cast, invoice, "1.00")
            with org_context(cast.org_a):
                services.credit_note_create(org=cast.org_a, actor=cast.owner, invoice_id=invoice.pk,
                                            data={"lines": [line(unit_price="1")]})  # fmt: skip

    def read() -> None:
        assert client.get(f"{INVOICES}{invoice.pk}/payments/").status_code == 200
        assert client.get(f"{INVOICES}{invoice.pk}/credit-notes/").status_code == 200

    assert_flat_query_count(read, grow)
