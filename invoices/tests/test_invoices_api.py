"""Invoices over the API: drafts with server-computed totals, customers and deals resolved inside the org,
finalization (number, dates, billing address), immutability, deleting only drafts, void, write-off, overdue."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from common.context import org_context
from invoices.models import Invoice, InvoiceLine
from invoices.tests.helpers import INVOICES, company, contact, draft, issued, json_line, stored, won_deal
from tenants.models import AuditEvent
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import RANDOM_ID

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year


def _does_not_exist(name: str, value: object) -> dict[str, object]:
    error = {"code": "does_not_exist", "detail": f'Invalid pk "{value}" - object does not exist.'}
    return {**error, "fields": {name: [error]}}


def test_a_member_drafts_an_invoice_for_a_customer_they_see_and_the_server_computes_the_totals(cast: Cast) -> None:
    customer = company(cast, assigned_to=[cast.member.pk])
    body = {
        "company": str(customer.pk),
        "currency": "eur",
        "notes": "Thanks",
        "lines": [
            json_line("Photos", "3", "99.995", taxes=[("VAT", "20"), ("City tax", "1.5")]),
            json_line("Drone", "1", "480", discount_type="percent", discount_value="12.5"),
        ],
        "subtotal": "1.00",
        "total": "2.00",
        "status": "paid",
        "number": "INV-FAKE",
    }

    response = client_for(cast.member).post(INVOICES, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["status"], data["number"], data["currency"]) == ("draft", "", "EUR")
    # 3 x 99.995 = 299.985 -> 299.99; VAT 60.00 (59.998), city tax 4.50 (4.49985); drone 480 - 60.00.
    assert [
        (row["subtotal"], row["discount_amount"], row["tax_amount"], row["total"]) for row in data["lines"]
    ] == [("299.99", "0.00", "64.50", "364.49"), ("480.00", "60.00", "0.00", "420.00")]
    assert (data["subtotal"], data["discount_total"], data["tax_total"], data["total"]) == (
        "779.99",
        "60.00",
        "64.50",
        "784.49",
    )
    assert data["tax_summary"] == [
        {"name": "VAT", "rate": "20.000", "amount": "60.00"},
        {"name": "City tax", "rate": "1.500", "amount": "4.50"},
    ]
    assert data["customer"] == {"type": "company", "id": str(customer.pk), "name": "Harbour Holdings"}
    with org_context(cast.org_a):
        assert Invoice.objects.get(pk=data["id"]).total == Decimal("784.49")


def test_a_customer_of_another_org_is_the_same_400_as_a_random_id(cast: Cast) -> None:
    theirs = company(cast, org=cast.org_b)
    client = client_for(cast.owner)

    foreign = client.post(INVOICES, {"company": str(theirs.pk), "lines": [json_line()]}, format="json")
    random = client.post(INVOICES, {"company": RANDOM_ID, "lines": [json_line()]}, format="json")

    assert (foreign.status_code, foreign.json()) == (400, _does_not_exist("company", theirs.pk))
    assert (random.status_code, random.json()) == (400, _does_not_exist("company", RANDOM_ID))


def test_a_member_cannot_draft_for_a_customer_they_cannot_see(cast: Cast) -> None:
    hidden = contact(cast)

    response = client_for(cast.member).post(INVOICES, {"contact": str(hidden.pk)}, format="json")

    assert (response.status_code, response.json()) == (400, _does_not_exist("contact", hidden.pk))


def test_an_invoice_needs_one_customer_not_two(cast: Cast) -> None:
    client = client_for(cast.owner)
    both = client.post(
        INVOICES, {"company": str(company(cast).pk), "contact": str(contact(cast).pk)}, format="json"
    )
    none = client.post(INVOICES, {"lines": [json_line()]}, format="json")

    assert (both.status_code, both.json()["code"]) == (400, "one_customer")
    assert (none.status_code, none.json()["fields"]) == (
        400,
        {"company": [{"code": "required", "detail": "Name the customer: a `company` or a `contact`."}]},
    )


def test_a_draft_changes_freely_and_its_lines_are_replaced_with_new_totals(cast: Cast) -> None:
    invoice = draft(cast)
    client = client_for(cast.owner)

    response = client.patch(f"{INVOICES}{invoice.pk}/", {"lines": [json_line("Video", "2", "250")]}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["total"], [row["description"] for row in response.json()["lines"]]) == (
        "500.00",
        ["Video"],
    )
    with org_context(cast.org_a):
        assert InvoiceLine.objects.filter(invoice=invoice).count() == 1


def test_finalizing_numbers_dates_addresses_and_audits_the_invoice(cast: Cast) -> None:
    customer = company(cast)
    invoice = draft(cast, customer=customer, issue_date=datetime.date(2026, 3, 10))
    with org_context(cast.org_a):
        contact(cast, company=customer, email="billing@harbour.test", tags=["billing"])

    response = client_for(cast.manager).post(f"{INVOICES}{invoice.pk}/finalize/", {}, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["status"], data["number"], data["issue_date"], data["due_date"]) == (
        "open",
        "INV-2026-00001",
        "2026-03-10",
        "2026-04-09",
    )
    assert (data["billing_name"], data["billing_street"], data["billing_city"], data["billing_country"]) == (
        "Harbour Holdings",
        "1 Quay Street",
        "Bristol",
        "GB",
    )
    assert data["billing_emails"] == ["billing@harbour.test"]
    assert data["balance_due"] == "100.00"
    assert data["public_url"].startswith("http") and "/api/public/invoices/" in data["public_url"]
    audit = AuditEvent.objects.get(action="invoice_finalized", target_id=str(invoice.pk))
    assert audit.details == {"number": "INV-2026-00001", "total": "100.00", "currency": "USD"}
    assert audit.actor_email == "manager@alpha.test"


def test_a_member_may_not_finalize_and_nothing_changes(cast: Cast) -> None:
    invoice = draft(cast, actor=cast.member)

    response = client_for(cast.member).post(f"{INVOICES}{invoice.pk}/finalize/", {}, format="json")

    assert response.status_code == 403
    assert stored(invoice).status == "draft"


def test_a_finalized_invoice_is_immutable_except_how_it_is_filed(cast: Cast) -> None:
    invoice = issued(cast)
    client = client_for(cast.owner)

    changed = client.patch(f"{INVOICES}{invoice.pk}/", {"notes": "Changed", "lines": [json_line()]}, format="json")
    tagged = client.patch(f"{INVOICES}{invoice.pk}/", {"tags": ["Priority"]}, format="json")
    again = client.post(f"{INVOICES}{invoice.pk}/finalize/", {}, format="json")

    assert changed.status_code == 409
    assert changed.json()["code"] == "invoice_finalized"
    assert (tagged.status_code, tagged.json()["tags"]) == (200, ["priority"])
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    assert stored(invoice).notes == ""


def test_only_a_draft_is_deleted_and_an_issued_invoice_never_is(cast: Cast) -> None:
    kept, gone = issued(cast), draft(cast)
    client = client_for(cast.owner)

    refused = client.delete(f"{INVOICES}{kept.pk}/")
    deleted = client.delete(f"{INVOICES}{gone.pk}/")
    bulk = client.post(
        f"{INVOICES}bulk/", {"action": "archive", "ids": [str(kept.pk), str(gone.pk)]}, format="json"
    )

    assert (refused.status_code, refused.json()["code"]) == (409, "invoice_issued")
    assert deleted.status_code == 204
    assert bulk.json() == {
        "results": [
            {
                "id": str(kept.pk),
                "status": "invalid",
                "code": "document_issued",
                "detail": "An issued document is never archived.",
            },
            {"id": str(gone.pk), "status": "archived"},
        ]
    }
    assert stored(kept).archived_at is None and stored(gone).archived_at is not None


def test_void_only_while_nothing_is_paid_and_written_off_invoices_stay_payable(cast: Cast) -> None:
    invoice, other = issued(cast), issued(cast)
    client = client_for(cast.manager)

    voided = client.post(f"{INVOICES}{invoice.pk}/void/", {"reason": "Sent twice"}, format="json")
    again = client.post(f"{INVOICES}{invoice.pk}/void/", {}, format="json")
    written_off = client.post(f"{INVOICES}{other.pk}/mark-uncollectible/", {}, format="json")

    assert (voided.json()["status"], voided.json()["balance_due"], voided.json()["void_reason"]) == (
        "void",
        "0.00",
        "Sent twice",
    )
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    assert written_off.json()["status"] == "uncollectible"
    assert AuditEvent.objects.filter(action__in=["invoice_voided", "invoice_marked_uncollectible"]).count() == 2


def test_overdue_is_derived_from_the_due_date_and_filters_the_list(cast: Cast) -> None:
    late = issued(cast, issue_date=datetime.date(2026, 1, 1), due_date=datetime.date(2026, 1, 31))
    issued(cast, due_date=datetime.date.today() + datetime.timedelta(days=5))
    client = client_for(cast.viewer)

    detail = client.get(f"{INVOICES}{late.pk}/").json()
    listed = client.get(INVOICES, {"overdue": "true"}).json()

    assert detail["is_overdue"] is True
    assert detail["days_overdue"] == (datetime.date.today() - datetime.date(2026, 1, 31)).days
    assert [row["id"] for row in listed["results"]] == [str(late.pk)]


def test_an_invoice_from_a_won_deal_takes_its_customer_amount_currency_and_listing(cast: Cast) -> None:
    from properties.tests.helpers import listing

    customer = company(cast)
    place = listing(cast, title="Harbour Offices")
    deal = won_deal(cast, company=customer, listing=place, assigned_to=[cast.member.pk])

    response = client_for(cast.member).post(INVOICES, {"deal": str(deal.pk)}, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["customer"]["id"], data["currency"], data["listing"], data["deal"]) == (
        str(customer.pk),
        "EUR",
        str(place.pk),
        str(deal.pk),
    )
    assert [(row["description"], row["total"]) for row in data["lines"]] == [
        ("Harbour lease (Harbour Offices)", "12500.00")
    ]


def test_a_deal_that_is_not_won_or_is_another_orgs_is_refused(cast: Cast) -> None:
    from deals.models import StageKind

    open_deal = won_deal(cast, company=company(cast), kind=StageKind.OPEN)
    theirs = won_deal(cast, org=cast.org_b)
    client = client_for(cast.owner)

    not_won = client.post(INVOICES, {"deal": str(open_deal.pk)}, format="json")
    foreign = client.post(INVOICES, {"deal": str(theirs.pk)}, format="json")

    assert (not_won.status_code, not_won.json()["code"]) == (400, "deal_not_won")
    assert (foreign.status_code, foreign.json()) == (400, _does_not_exist("deal", theirs.pk))


def test_the_org_currency_is_the_default_and_an_unknown_currency_is_refused(cast: Cast) -> None:
    client = client_for(cast.owner)
    customer = str(company(cast).pk)

    default = client.post(INVOICES, {"company": customer}, format="json")
    unknown = client.post(INVOICES, {"company": customer, "currency": "XYZ"}, format="json")

    assert default.json()["currency"] == cast.org_a.currency
    assert (unknown.status_code, unknown.json()["code"]) == (400, "invalid")


def test_merging_a_company_moves_its_invoices_payments_and_credit_to_the_kept_one(cast: Cast) -> None:
    from contacts.services import company_merge
    from invoices.models import CreditEntry, Payment
    from invoices.tests.helpers import pay

    kept, gone = company(cast, name="Harbour Holdings"), company(cast, name="Harbour Holdings Ltd")
    invoice = issued(cast, customer=gone)
    pay(cast, invoice, "130.00", allocated="100.00")

    with org_context(cast.org_a):
        company_merge(org=cast.org_a, actor=cast.owner, keep_id=kept.pk, merge_id=gone.pk)
        assert Invoice.objects.get(pk=invoice.pk).company_id == kept.pk
        assert Payment.objects.get().company_id == kept.pk
        assert CreditEntry.objects.get().company_id == kept.pk
    assert stored(invoice).billing_name == "Harbour Holdings Ltd"  # what was issued stays as issued


def test_removing_a_member_hands_their_drafts_over(cast: Cast) -> None:
    from invoices.services import reassign_drafts

    mine = draft(cast, actor=cast.member, customer=company(cast, assigned_to=[cast.member.pk]))
    finalized = issued(cast, assigned_to=[cast.member.pk])

    with org_context(cast.org_a):
        moved = reassign_drafts(cast.org_a, cast.member, cast.manager)

    assert moved == 1
    assert stored(mine).assigned_to == [cast.manager.pk]
    assert stored(finalized).assigned_to == [cast.member.pk]
