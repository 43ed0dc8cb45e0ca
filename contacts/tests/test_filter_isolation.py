"""Ids in list filters: another org's id finds nothing, exactly like a random one, and a malformed id is a 400."""

from __future__ import annotations

from typing import Any

import pytest

from common.context import org_context
from contacts.models import Company, Contact
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db

CONTACTS = "/api/contacts/"
COMPANIES = "/api/companies/"
RANDOM_ID = "00000000-0000-7000-8000-00000000beef"
EMPTY_PAGE = {"count": 0, "next": None, "previous": None, "results": []}


@pytest.fixture
def bravo(cast: Cast) -> dict[str, Any]:
    """Org B's company, and a contact of it assigned to and created by org B's owner: every id filter of
    contacts and companies would match these rows if it ever looked outside org A."""
    with org_context(cast.org_b):
        company = Company.objects.create(
            org=cast.org_b, name="Bravo Co", created_by=cast.other_owner, assigned_to=[cast.other_owner.pk]
        )
        Contact.objects.create(
            org=cast.org_b, first_name="Bea", company=company, created_by=cast.other_owner,
            assigned_to=[cast.other_owner.pk],
        )  # fmt: skip
    with org_context(cast.org_a):
        # Org A has rows too, so an empty page means "filtered out", not "nothing here".
        mine = Company.objects.create(org=cast.org_a, name="Alpha Co", created_by=cast.owner)
        Contact.objects.create(org=cast.org_a, first_name="Ada", company=mine, created_by=cast.owner)
    return {
        "company": str(company.pk),
        "assigned_to": str(cast.other_owner.pk),
        "created_by": str(cast.other_owner.pk),
    }


FILTERS = [(CONTACTS, "company"), (CONTACTS, "assigned_to"), (CONTACTS, "created_by"),
           (COMPANIES, "assigned_to"), (COMPANIES, "created_by")]  # fmt: skip


@pytest.mark.parametrize(("url", "name"), FILTERS)
def test_another_orgs_id_in_a_filter_is_an_empty_page_like_a_random_id(
    cast: Cast, bravo: dict[str, Any], url: str, name: str
) -> None:
    client = client_for(cast.owner)

    with_foreign = client.get(url, {name: bravo[name]})
    with_random = client.get(url, {name: RANDOM_ID})

    assert (with_foreign.status_code, with_random.status_code) == (200, 200)
    assert with_foreign.json() == with_random.json() == EMPTY_PAGE
    assert client.get(url).json()["count"] == 1
    # The same filter in org B does find its row: the empty page above is the org fence, not a broken filter.
    assert client_for(cast.other_owner).get(url, {name: bravo[name]}).json()["count"] == 1


@pytest.mark.parametrize(("url", "name"), FILTERS)
def test_a_malformed_id_in_a_filter_is_a_400_field_error(cast: Cast, url: str, name: str) -> None:
    response = client_for(cast.owner).get(url, {name: "not-a-uuid"})

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Enter a valid UUID.",
        "fields": {name: [{"code": "invalid", "detail": "Enter a valid UUID."}]},
    }


@pytest.mark.parametrize("url", [CONTACTS, COMPANIES])
def test_a_malformed_date_in_a_filter_is_a_400_field_error(cast: Cast, url: str) -> None:
    response = client_for(cast.owner).get(url, {"created_after": "last tuesday"})

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Enter a valid date/time.",
        "fields": {"created_after": [{"code": "invalid", "detail": "Enter a valid date/time."}]},
    }
