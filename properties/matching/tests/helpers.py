"""Making saved searches and listings for the matching tests, and reading back what matching wrote."""

from __future__ import annotations

from typing import Any

from common.context import org_context
from common.models import Profile
from contacts.models import Contact
from properties import services as listings
from properties.matching import services
from properties.matching.models import ListingEvent, MatchNotice, SavedSearch
from properties.models import Property
from tenants.testing.fixtures import Cast
from timeline.models import Notification

SEARCHES = "/api/saved-searches/"


def search_url(search: Any, suffix: str = "") -> str:
    return f"{SEARCHES}{getattr(search, 'pk', search)}/{suffix}"


def saved_search(
    cast: Cast, actor: Profile | None = None, *, name: str = "My search", contact: Contact | None = None,
    **fields: Any,
) -> SavedSearch:  # fmt: skip
    """A search saved through the service: by `actor` (the member by default), criteria as keyword `criteria`."""
    actor = actor or cast.member
    data = {"name": name, "criteria": fields.pop("criteria", {}), **fields}
    if contact is not None:
        data["contact"] = contact
    with org_context(actor.org):
        return services.saved_search_create(org=actor.org, actor=actor, data=data)


def listing(cast: Cast, *, org: Any = None, **data: Any) -> Property:
    """A listing made through the properties service (events recorded, as in production), by org's owner."""
    org = org or cast.org_a
    actor = cast.owner if org == cast.org_a else cast.other_owner
    data.setdefault("title", "Harbour Offices")
    data.setdefault("property_type", "office")
    with org_context(org):
        return listings.property_create(org=org, actor=actor, data=data)


def change(cast: Cast, listing_: Property, **data: Any) -> Property:
    org = listing_.org
    actor = cast.owner if org == cast.org_a else cast.other_owner
    with org_context(org):
        return listings.property_update(org=org, actor=actor, property_id=listing_.pk, data=data)


def contact(cast: Cast, org: Any = None, **fields: Any) -> Contact:
    org = org or cast.org_a
    fields.setdefault("created_by", cast.owner if org == cast.org_a else cast.other_owner)
    with org_context(org):
        return Contact.objects.create(org=org, **fields)


def events_of(listing_: Property) -> list[tuple[str, str]]:
    with org_context(listing_.org):
        rows = ListingEvent.objects.filter(property=listing_).order_by("created_at", "id")
        return [(event.kind, event.status) for event in rows]


def match_all(org: Any) -> int:
    """Match every unmatched event of the org now, as the job would (the tests that need the job itself use
    run_tasks_inline or a real worker)."""
    with org_context(org):
        pending = ListingEvent.objects.filter(matched_at__isnull=True).order_by("created_at", "id")
        return sum(
            services.listing_event_match(org=org, event_id=pk) for pk in pending.values_list("pk", flat=True)
        )


def notices(org: Any, **filters: Any) -> list[tuple[str, str, str]]:
    """(search name, listing title, kind), oldest first; one statement's notices (one time) by search name."""
    with org_context(org):
        rows = (
            MatchNotice.objects.filter(**filters)
            .select_related("search", "property")
            .order_by("created_at", "search__name", "id")
        )
        return [(notice.search.name, notice.property.title, notice.kind) for notice in rows]


def match_notifications(org: Any) -> list[tuple[Any, str]]:
    """(recipient, message) of listing-match notifications, oldest first."""
    with org_context(org):
        rows = Notification.objects.filter(kind="listing_match").order_by("created_at", "id")
        return [(row.recipient_id, row.message) for row in rows]
