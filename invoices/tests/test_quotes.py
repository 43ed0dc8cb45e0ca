"""Quotes: draft -> sent -> accepted, declined or expired, and converted into an invoice exactly once however often
convert is called; made from a won deal."""

from __future__ import annotations

import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest

from common.context import org_context
from invoices.models import Invoice, Quote
from invoices.quotes import quotes_expire
from invoices.tests.helpers import QUOTES, company, quote, won_deal
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year


def _fresh(offer: Quote) -> Quote:
    with org_context(offer.org):
        return Quote.objects.get(pk=offer.pk)


def test_a_quote_is_sent_numbered_then_accepted_and_converted_exactly_once(cast: Cast) -> None:
    offer = quote(cast, assigned_to=[cast.member.pk])
    client = client_for(cast.member)

    sent = client.post(f"{QUOTES}{offer.pk}/send/", {}, format="json")
    accepted = client.post(f"{QUOTES}{offer.pk}/accept/", {}, format="json")
    first = client.post(f"{QUOTES}{offer.pk}/convert/", {}, format="json")
    second = client.post(f"{QUOTES}{offer.pk}/convert/", {}, format="json")

    assert (sent.json()["status"], sent.json()["number"]) == ("sent", f"QUO-{YEAR}-00001")
    assert sent.json()["valid_until"] == (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    assert accepted.json()["status"] == "accepted"
    assert (first.status_code, first.json()["created"], first.json()["invoice"]["status"]) == (201, True, "draft")
    assert (second.status_code, second.json()["created"]) == (200, False)
    assert second.json()["invoice"]["id"] == first.json()["invoice"]["id"]
    assert first.json()["invoice"]["total"] == "100.00"
    with org_context(cast.org_a):
        assert Invoice.objects.count() == 1
    assert _fresh(offer).converted_invoice_id is not None


def test_convert_called_again_and_again_answers_the_same_invoice(cast: Cast) -> None:
    from invoices import quotes as services

    offer = quote(cast)
    with org_context(cast.org_a):
        services.quote_send(org=cast.org_a, actor=cast.owner, quote_id=offer.pk)
        services.quote_accept(org=cast.org_a, actor=cast.owner, quote_id=offer.pk)
        results = [services.quote_convert(org=cast.org_a, actor=cast.owner, quote_id=offer.pk) for _ in range(5)]
        made = Invoice.objects.count()

    assert [created for _, created in results] == [True, False, False, False, False]
    assert len({invoice.pk for invoice, _ in results}) == 1 and made == 1


def test_only_an_accepted_quote_converts_and_a_declined_one_stays_declined(cast: Cast) -> None:
    offer = quote(cast)
    client = client_for(cast.owner)

    early = client.post(f"{QUOTES}{offer.pk}/convert/", {}, format="json")
    client.post(f"{QUOTES}{offer.pk}/send/", {}, format="json")
    declined = client.post(f"{QUOTES}{offer.pk}/decline/", {}, format="json")
    late = client.post(f"{QUOTES}{offer.pk}/accept/", {}, format="json")

    assert (early.status_code, early.json()["code"]) == (409, "invalid_transition")
    assert declined.json()["status"] == "declined"
    assert (late.status_code, late.json()["code"]) == (409, "invalid_transition")


def test_a_sent_quote_past_its_date_expires_and_can_no_longer_be_accepted(cast: Cast) -> None:
    offer = quote(cast, issue_date=datetime.date(2026, 1, 1), valid_until=datetime.date(2026, 1, 31))
    client = client_for(cast.owner)
    client.post(f"{QUOTES}{offer.pk}/send/", {}, format="json")

    refused = client.post(f"{QUOTES}{offer.pk}/accept/", {}, format="json")
    with org_context(cast.org_a):
        expired = quotes_expire(org=cast.org_a, today=datetime.date(2026, 2, 1))

    assert (refused.status_code, refused.json()["code"]) == (409, "quote_expired")
    assert expired == 1
    assert _fresh(offer).status == "expired"


def test_a_sent_quote_cannot_change_but_a_draft_can(cast: Cast) -> None:
    offer = quote(cast)
    client = client_for(cast.owner)
    draft_change = client.patch(f"{QUOTES}{offer.pk}/", {"notes": "Updated offer"}, format="json")
    client.post(f"{QUOTES}{offer.pk}/send/", {}, format="json")

    sent_change = client.patch(f"{QUOTES}{offer.pk}/", {"notes": "Too late"}, format="json")
    deleted = client.delete(f"{QUOTES}{offer.pk}/")

    assert draft_change.json()["notes"] == "Updated offer"
    assert (sent_change.status_code, sent_change.json()["code"]) == (409, "quote_sent")
    assert (deleted.status_code, deleted.json()["code"]) == (409, "quote_sent")


def test_a_quote_from_a_won_deal_carries_its_amount_and_listing(cast: Cast) -> None:
    from properties.tests.helpers import listing

    customer = company(cast)
    place = listing(cast, title="Dockside Lofts")
    deal = won_deal(cast, company=customer, listing=place, amount="8000.00")

    response = client_for(cast.owner).post(QUOTES, {"deal": str(deal.pk)}, format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["total"], response.json()["listing"], response.json()["currency"]) == (
        "8000.00",
        str(place.pk),
        "EUR",
    )


def test_convert_from_parallel_connections_makes_one_invoice(cast: Cast, run_tasks_inline: None) -> None:
    """The same, with real concurrency: committed quote, eight connections converting at once."""
    from django.db import connection, transaction

    from invoices import quotes as services
    from invoices.tests.test_numbering import _in_thread

    def make() -> Quote:
        offer = quote(cast, customer=company(cast, name="Parallel Quote Ltd"))
        with org_context(cast.org_a):
            services.quote_send(org=cast.org_a, actor=cast.owner, quote_id=offer.pk)
            services.quote_accept(org=cast.org_a, actor=cast.owner, quote_id=offer.pk)
        return offer

    offer = _in_thread(make)

    def convert(_: int) -> tuple[str, bool]:
        try:
            with org_context(cast.org_a):
                invoice, created = services.quote_convert(org=cast.org_a, actor=cast.owner, quote_id=offer.pk)
                return str(invoice.pk), created
        finally:
            connection.close()

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = list(pool.map(convert, range(8)))
        assert sorted(created for _, created in outcomes) == [False] * 7 + [True]
        assert len({pk for pk, _ in outcomes}) == 1
    finally:

        def remove() -> None:
            from invoices.models import NumberCounter, QuoteLine
            from timeline.models import ActivityEntry

            with org_context(cast.org_a), transaction.atomic():
                fresh = Quote.objects.get(pk=offer.pk)
                ids = [fresh.pk, fresh.converted_invoice_id]
                ActivityEntry.objects.filter(target_id__in=ids).delete()
                QuoteLine.objects.filter(quote=fresh).delete()
                Quote.objects.filter(pk=fresh.pk).delete()
                Invoice.objects.filter(pk=ids[1]).delete()
                NumberCounter.objects.all().delete()
                from contacts.models import Company
                from invoices.models import InvoiceSettings

                InvoiceSettings.objects.all().delete()
                Company.objects.filter(name="Parallel Quote Ltd").delete()

        _in_thread(remove)
