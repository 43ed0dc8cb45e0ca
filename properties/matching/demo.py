"""Demo saved searches and buyers' and tenants' requirements, and what matching told them about the active
listings (notices made by the real matching statement)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from demo.context import DemoContext
from properties.demo import CITIES
from properties.matching.criteria import criteria_clean
from properties.matching.matching import notices_insert
from properties.matching.models import EventKind, Frequency, ListingEvent, MatchNotice, SavedSearch
from properties.models import Property, PropertyStatus

# (name, criteria) a member might save; `{city}` and the centre come from one of the demo cities.
MEMBER_SEARCHES: list[tuple[str, dict[str, Any]]] = [
    ("Family houses in {city}", {"type": ["house"], "bedrooms_min": 3, "listing_type": "sale"}),
    ("Flats under 600k in {city}", {"type": ["apartment"], "price_max": "600000", "listing_type": "sale"}),
    ("Offices to let near the centre of {city}", {"type": ["office"], "listing_type": "lease", "radius_km": 8}),
    ("Warehouses over 2,000 m² in {city}", {"type": ["warehouse", "industrial"], "area_min": "2000"}),
    ("Anything with parking in {city}", {"amenities": "parking"}),
]
# (name, criteria) of an applicant's requirement.
REQUIREMENTS: list[tuple[str, dict[str, Any]]] = [
    ("Buying: 2+ bed flat in {city}", {"type": ["apartment"], "bedrooms_min": 2, "price_max": "750000"}),
    ("Buying: house with a garden in {city}", {"type": ["house"], "amenities": ["garden"]}),
    ("Renting: retail unit in {city}", {"type": ["retail"], "listing_type": "lease"}),
]
DEMO_EVENTS = 40


def _criteria(ctx: DemoContext, template: dict[str, Any]) -> tuple[str, Any]:
    city, _region, _country, lat, lng, _postcode, _unit = ctx.rng.choice(CITIES)
    raw = dict(template)
    if "radius_km" in raw:
        raw["near"] = f"{lat},{lng}"
    else:
        raw["city"] = city
    return city, criteria_clean(raw, org=ctx.org)


def _search(ctx: DemoContext, name: str, template: dict[str, Any], **fields: Any) -> SavedSearch:
    city, criteria = _criteria(ctx, template)
    actor = fields.get("owner") or ctx.member()
    return SavedSearch(
        org=ctx.org, name=name.format(city=city), criteria=criteria.shown, created_by=actor, updated_by=actor,
        frequency=ctx.rng.choice(list(Frequency)), **fields, **criteria.columns,
    )  # fmt: skip


def seed(ctx: DemoContext) -> dict[str, int]:
    searches = []
    for member in ctx.members:
        for name, template in ctx.rng.sample(MEMBER_SEARCHES, 2):
            searches.append(_search(ctx, name, template, owner=member))
    for contact_id in ctx.some("contacts.contact", 3 * ctx.scale):
        name, template = ctx.rng.choice(REQUIREMENTS)
        email = ctx.rng.random() < 0.5
        searches.append(_search(ctx, name, template, contact_id=contact_id, email_enabled=email))
    SavedSearch.objects.bulk_create(searches)

    # What the matching job would have written as these listings went live (no emails from demo data).
    now = timezone.now()
    active = Property.objects.for_org(ctx.org).filter(
        pk__in=ctx.made.get("properties.property", []), status=PropertyStatus.ACTIVE
    )
    notices = 0
    for listing in active.order_by("created_at", "id")[:DEMO_EVENTS]:
        event = ListingEvent(org=ctx.org, property=listing, kind=EventKind.LISTED, status=listing.status)
        event.save()
        notices += len(notices_insert(org=ctx.org, event=event, listing=listing))
    ListingEvent.objects.for_org(ctx.org).filter(matched_at__isnull=True).update(matched_at=now)
    MatchNotice.objects.for_org(ctx.org).filter(search__frequency=Frequency.INSTANT).update(emailed_at=now)
    return {"saved searches": len(searches), "listing match notices": notices}
