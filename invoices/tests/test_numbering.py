"""Numbers are gapless and unique per org and series: fifty finalizations at once in each of two orgs, each on
its own database connection, give each org 1-50 exactly; a finalization that fails after taking its number gives
it back to the next one. Patterns, yearly resets and the separate quote and credit-note series."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from django.db import connection, transaction

from common.context import org_context
from contacts.models import Company
from invoices import quotes, services
from invoices.models import Invoice, InvoiceSettings, NumberCounter, Quote
from invoices.numbering import number_take
from invoices.org_settings import invoice_settings_of
from invoices.tests.helpers import company, draft, issued, line, owner_of, quote
from tenants.models import AuditEvent, Org
from tenants.testing.committed import in_own_connection as _in_thread
from tenants.testing.fixtures import Cast
from timeline.models import ActivityEntry, Notification

pytestmark = pytest.mark.django_db
T = TypeVar("T")
PER_ORG = 50
YEAR = datetime.date.today().year


def _remove_committed(orgs: list[Org]) -> None:
    def remove() -> None:
        for org in orgs:
            org = Org.objects.get(pk=org.pk)
            with org_context(org), transaction.atomic():
                invoice_ids = list(Invoice.objects.values_list("pk", flat=True))
                ActivityEntry.objects.filter(target_id__in=invoice_ids).delete()
                Notification.objects.filter(target_id__in=invoice_ids).delete()
                Invoice.objects.all().delete()  # lines go with them
                Company.objects.filter(name="Concurrent Holdings").delete()
                NumberCounter.objects.all().delete()
                InvoiceSettings.objects.all().delete()
            AuditEvent.objects.filter(org_id=org.pk, action="invoice_finalized").delete()

    _in_thread(remove)


@pytest.fixture
def committed_drafts(cast: Cast) -> Iterator[dict[Any, list[Any]]]:
    """Fifty committed drafts in each of org A and org B, removed afterwards with every number they took."""
    orgs = [cast.org_a, cast.org_b]

    def make() -> dict[Any, list[Any]]:
        made = {}
        for org in orgs:
            customer = company(cast, org, name="Concurrent Holdings")
            made[org.pk] = [draft(cast, org=org, customer=customer).pk for _ in range(PER_ORG)]
        return made

    try:
        yield _in_thread(make)
    finally:
        _remove_committed(orgs)


def _finalize(org: Org, actor: Any, invoice_id: Any) -> str:
    try:
        with org_context(org):
            return services.invoice_finalize(org=org, actor=actor, invoice_id=invoice_id).number
    finally:
        connection.close()


def test_fifty_finalizations_at_once_in_each_of_two_orgs_number_each_org_one_to_fifty(
    cast: Cast, committed_drafts: dict[Any, list[Any]], run_tasks_inline: None
) -> None:
    jobs = [
        (org, owner_of(cast, org), invoice_id)
        for index in range(PER_ORG)
        for org in (cast.org_a, cast.org_b)
        for invoice_id in [committed_drafts[org.pk][index]]
    ]

    with ThreadPoolExecutor(max_workers=12) as pool:
        numbers = list(pool.map(lambda job: (job[0].pk, _finalize(*job)), jobs))

    for org in (cast.org_a, cast.org_b):
        taken = sorted(number for org_id, number in numbers if org_id == org.pk)
        assert taken == [f"INV-{YEAR}-{n:05d}" for n in range(1, PER_ORG + 1)]
    with org_context(cast.org_a):
        stored = sorted(Invoice.objects.filter(status="open").values_list("number", flat=True))
        assert stored == [f"INV-{YEAR}-{n:05d}" for n in range(1, PER_ORG + 1)]
        assert NumberCounter.objects.get(series="invoice").last_value == PER_ORG


def test_a_finalization_that_fails_after_taking_its_number_gives_it_to_the_next_one(
    cast: Cast, committed_drafts: dict[Any, list[Any]]
) -> None:
    org, owner = cast.org_a, cast.owner
    failing, waiting = committed_drafts[org.pk][:2]
    taken, seen = threading.Event(), {}

    def finalize_then_fail() -> None:
        try:
            with org_context(org), transaction.atomic():
                seen["failed"] = services.invoice_finalize(org=org, actor=owner, invoice_id=failing).number
                taken.set()
                threading.Event().wait(0.5)  # the other finalization is now queued on the counter row
                raise RuntimeError("the rest of the work failed")
        except RuntimeError:
            seen["rolled_back"] = True
        finally:
            connection.close()

    first = threading.Thread(target=finalize_then_fail)
    first.start()
    assert taken.wait(30)
    with ThreadPoolExecutor(max_workers=1) as pool:
        second = pool.submit(_finalize, org, owner, waiting)
        first.join()
        number = second.result(timeout=30)

    assert seen == {"failed": f"INV-{YEAR}-00001", "rolled_back": True}
    assert number == f"INV-{YEAR}-00001"
    assert _in_thread(lambda: _finalize(org, owner, failing)) == f"INV-{YEAR}-00002"


def test_numbers_follow_the_orgs_pattern_and_restart_every_year(cast: Cast) -> None:
    org = cast.org_a
    with org_context(org):
        row = invoice_settings_of(org)
        row.invoice_prefix, row.number_digits = "KS/INV", 3
        row.save()
        before = [
            number_take(org=org, settings_row=row, series="invoice", on=datetime.date(2025, 12, 31))[1]
            for _ in range(2)
        ]
        after = number_take(org=org, settings_row=row, series="invoice", on=datetime.date(2026, 1, 1))[1]
        row.number_includes_year, row.number_resets_yearly = False, False
        row.save()
        plain = [
            number_take(org=org, settings_row=row, series="invoice", on=datetime.date(2026, 1, 2))[1]
            for _ in range(2)
        ]

    assert before == ["KS/INV-2025-001", "KS/INV-2025-002"]
    assert after == "KS/INV-2026-001"
    assert plain == ["KS/INV-001", "KS/INV-002"]


def test_quotes_and_credit_notes_have_their_own_series(cast: Cast) -> None:
    invoice = issued(cast)
    offer = quote(cast)
    with org_context(cast.org_a):
        quotes.quote_send(org=cast.org_a, actor=cast.owner, quote_id=offer.pk)
        note = services.credit_note_create(
            org=cast.org_a, actor=cast.owner, invoice_id=invoice.pk, data={"lines": [line(unit_price="10")]}
        )
        sent = Quote.objects.get(pk=offer.pk)

    assert (invoice.number, sent.number, note.number) == (
        f"INV-{YEAR}-00001",
        f"QUO-{YEAR}-00001",
        f"CN-{YEAR}-00001",
    )


def test_numbers_are_per_org(cast: Cast) -> None:
    ours, theirs = issued(cast), issued(cast, org=cast.org_b)

    assert ours.number == theirs.number == f"INV-{YEAR}-00001"
