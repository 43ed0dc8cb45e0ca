"""The `?search=` of contacts and companies is served by trigram indexes on every searched column."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.context import org_context
from contacts.models import Company, Contact
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import plan_with_sequential_scans_off

pytestmark = pytest.mark.django_db


def _page_query_of(cast: Cast, url: str, term: str) -> str:
    """The SQL the list ran for its page of results (not the count), with its parameters in place. Something
    must match: with a count of 0 the page query is not run at all."""
    with CaptureQueriesContext(connection) as captured:
        response = client_for(cast.owner).get(url, {"search": term})
    assert response.status_code == 200
    pages = [q["sql"] for q in captured.captured_queries if " LIKE " in q["sql"] and " ORDER BY " in q["sql"]]
    assert len(pages) == 1, pages
    return pages[0]


def _plan(cast: Cast, table: str, sql: str) -> str:
    with org_context(cast.org_a), connection.cursor() as cursor:
        # Fresh rows wait in each GIN index's pending list, which the planner prices as a full read: merge them
        # in, and give the planner real statistics, as autovacuum would on a live table.
        cursor.execute(
            "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = %s::regclass AND a.amname = 'gin'",
            [table],
        )
        cursor.execute(f"ANALYZE {table}")
        # A table this small is cheapest to read whole; with sequential scans off the planner has to show
        # which indexes answer the search. SET LOCAL ends with the test's transaction.
        return plan_with_sequential_scans_off(cursor, sql)


def _indexes_scanned(plan: str) -> set[str]:
    return set(re.findall(r"Bitmap Index Scan on (\w+)", plan))


def test_contact_search_uses_a_trigram_index_for_every_searched_column(cast: Cast) -> None:
    with org_context(cast.org_a):
        Contact.objects.bulk_create(
            [Contact(org=cast.org_a, first_name=f"Person {i}", email=f"p{i}@example.test") for i in range(5000)]
        )
        Contact.objects.create(org=cast.org_a, first_name="Ada", last_name="Lovelace")
    sql = _page_query_of(cast, "/api/contacts/", "lovelace")

    plan = _plan(cast, "contacts_contact", sql)

    assert _indexes_scanned(plan) == {
        "contact_first_trgm",
        "contact_last_trgm",
        "contact_email_trgm",
        "contact_email2_trgm",
        "contact_phone_trgm",
        "contact_mobile_trgm",
    }, plan
    assert "Seq Scan" not in plan, plan


def test_company_search_uses_a_trigram_index_for_every_searched_column(cast: Cast) -> None:
    with org_context(cast.org_a):
        Company.objects.bulk_create([Company(org=cast.org_a, name=f"Firm {i}") for i in range(3000)])
        Company.objects.create(org=cast.org_a, name="Acme")
    sql = _page_query_of(cast, "/api/companies/", "acme")

    plan = _plan(cast, "contacts_company", sql)

    assert _indexes_scanned(plan) == {"company_name_trgm", "company_domain_trgm", "company_phone_trgm"}, plan
    assert "Seq Scan" not in plan, plan


def test_search_finds_contacts_by_secondary_email_and_mobile(cast: Cast) -> None:
    with org_context(cast.org_a):
        Contact.objects.create(org=cast.org_a, first_name="Ada", secondary_email="countess@analytical.test")
        Contact.objects.create(org=cast.org_a, first_name="Alan", mobile="+44 7700 900123")
        Contact.objects.create(org=cast.org_a, first_name="Grace")
    client = client_for(cast.owner)

    by_email = client.get("/api/contacts/", {"search": "COUNTESS@"}).json()["results"]
    by_mobile = client.get("/api/contacts/", {"search": "7700 900"}).json()["results"]

    assert [row["first_name"] for row in by_email] == ["Ada"]
    assert [row["first_name"] for row in by_mobile] == ["Alan"]
