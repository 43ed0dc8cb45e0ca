"""Making listings, spaces, contacts and companies for the listing tests, each in its org."""

from __future__ import annotations

from typing import Any

from common.context import org_context
from common.models import Profile
from contacts.models import Company, Contact
from properties import services
from properties.models import PriceChange, Property, Space
from tenants.testing.fixtures import Cast

PROPERTIES = "/api/properties/"


def listing(cast: Cast, *, actor: Profile | None = None, org: Any = None, **data: Any) -> Property:
    """A listing made through the service (areas normalised, price history written), by the owner unless
    another member of org A (or org B's owner) is named."""
    org = org or cast.org_a
    actor = actor or (cast.owner if org == cast.org_a else cast.other_owner)
    data.setdefault("title", "Harbour Offices")
    data.setdefault("property_type", "office")
    with org_context(org):
        return services.property_create(org=org, actor=actor, data=data)


def space(cast: Cast, listing_: Property, **data: Any) -> Space:
    with org_context(listing_.org):
        return services.space_create(
            org=listing_.org, actor=cast.owner if listing_.org == cast.org_a else cast.other_owner,
            property_id=listing_.pk, data={"name": "Suite 100", **data},
        )  # fmt: skip


def stored(listing_: Property) -> Property:
    with org_context(listing_.org):
        return Property.objects.get(pk=listing_.pk)


def price_rows(listing_: Property) -> list[tuple[str, Any, Any, str, bool]]:
    """(field, old, new, currency, is_drop), oldest first, as strings for exact comparison."""
    with org_context(listing_.org):
        rows = PriceChange.objects.filter(property=listing_).order_by("changed_at", "id")
        return [(row.field, _text(row.old_value), _text(row.new_value), row.currency, row.is_drop) for row in rows]


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def contact(cast: Cast, org: Any = None, **fields: Any) -> Contact:
    org = org or cast.org_a
    with org_context(org):
        return Contact.objects.create(org=org, **fields)


def company(cast: Cast, org: Any = None, **fields: Any) -> Company:
    org = org or cast.org_a
    with org_context(org):
        return Company.objects.create(org=org, **fields)


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["title"] for row in response.json()["results"]]
