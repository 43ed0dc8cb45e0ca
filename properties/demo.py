"""Demo listings across types and cities, with coordinates, spaces in commercial buildings and price history."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils.text import slugify

from demo.context import DemoContext
from properties.models import (
    COMMERCIAL_TYPES,
    AreaUnit,
    ListingType,
    PriceChange,
    Property,
    PropertyStatus,
    PropertyType,
    RateBasis,
    RatePeriod,
    Space,
    new_public_slug,
    square_metres,
)

# (city, region, country, latitude, longitude, postal code prefix, area unit the local market quotes in)
CITIES = [
    ("London", "Greater London", "GB", 51.5074, -0.1278, "EC2A", AreaUnit.SQ_FT),
    ("Manchester", "Greater Manchester", "GB", 53.4808, -2.2426, "M1", AreaUnit.SQ_FT),
    ("New York", "NY", "US", 40.7128, -74.0060, "100", AreaUnit.SQ_FT),
    ("Austin", "TX", "US", 30.2672, -97.7431, "787", AreaUnit.SQ_FT),
    ("Berlin", "Berlin", "DE", 52.5200, 13.4050, "101", AreaUnit.SQ_M),
    ("Amsterdam", "North Holland", "NL", 52.3676, 4.9041, "101", AreaUnit.SQ_M),
    ("Toronto", "ON", "CA", 43.6532, -79.3832, "M5V", AreaUnit.SQ_FT),
    ("Sydney", "NSW", "AU", -33.8688, 151.2093, "2000", AreaUnit.SQ_M),
]
STREETS = ["High Street", "Market Street", "King Street", "Station Road", "Harbour Way", "Mill Lane",
           "Park Avenue", "Queen's Road", "Canal Side", "Foundry Row"]  # fmt: skip
TITLES = {
    PropertyType.OFFICE: ["Grade A offices", "Refurbished office floors", "Creative studio offices"],
    PropertyType.RETAIL: ["Corner retail unit", "High-street shop", "Retail parade"],
    PropertyType.INDUSTRIAL: ["Light industrial unit", "Trade counter unit"],
    PropertyType.WAREHOUSE: ["Distribution warehouse", "Last-mile logistics shed"],
    PropertyType.MULTIFAMILY: ["Apartment block", "Build-to-rent scheme"],
    PropertyType.LAND: ["Development plot", "Consented residential land"],
    PropertyType.HOSPITALITY: ["Boutique hotel", "Restaurant with flat above"],
    PropertyType.MIXED_USE: ["Shops with offices above", "Mixed-use block"],
    PropertyType.HOUSE: ["Victorian terrace", "Detached family house", "Townhouse"],
    PropertyType.APARTMENT: ["Two-bed apartment", "Penthouse with terrace", "Studio flat"],
}
# How sizes and prices run per type: floor area (sq m), asking price per sq m.
SCALE = {
    PropertyType.OFFICE: (400, 6000, 4500), PropertyType.RETAIL: (80, 900, 5000),
    PropertyType.INDUSTRIAL: (500, 5000, 1400), PropertyType.WAREHOUSE: (2000, 30000, 1100),
    PropertyType.MULTIFAMILY: (1500, 9000, 3500), PropertyType.LAND: (0, 0, 0),
    PropertyType.HOSPITALITY: (600, 5000, 3800), PropertyType.MIXED_USE: (400, 3000, 4200),
    PropertyType.HOUSE: (90, 320, 5200), PropertyType.APARTMENT: (35, 160, 6500),
}  # fmt: skip
AMENITIES = {
    "commercial": ["parking", "elevator", "air_conditioning", "fiber_internet", "bike_storage", "loading_dock",
                   "security", "ev_charging", "wheelchair_access"],
    "residential": ["parking", "garden", "balcony", "terrace", "heating", "storage", "pet_friendly", "gym",
                    "concierge", "furnished"],
}  # fmt: skip
STATUSES = [PropertyStatus.ACTIVE] * 6 + [PropertyStatus.DRAFT, PropertyStatus.COMING_SOON,
            PropertyStatus.UNDER_CONTRACT, PropertyStatus.OFF_MARKET]  # fmt: skip
HIGHLIGHTS = ["Two minutes from the station", "South-facing", "Newly refurbished", "Flexible lease terms",
              "Strong covenant tenants", "Planning consent granted", "EPC rating A"]  # fmt: skip
TAGS = ["prime", "off-market", "investment", "new-build", "exclusive"]
NOTES = ["Owner open to offers before the end of the quarter.", "Second viewing booked for Thursday.",
         "Photos retaken after the refurbishment."]  # fmt: skip


def seed(ctx: DemoContext) -> dict[str, int]:
    rng, currency = ctx.rng, ctx.org.currency
    listings: list[Property] = []
    first = Property.objects.count()  # a second seeding goes on numbering (references are unique in an org)
    for i in range(first, first + 12 * ctx.scale):
        kind = rng.choice(list(PropertyType))
        city, region, country, lat, lng, postcode, unit = rng.choice(CITIES)
        agent = ctx.member()
        commercial = kind in COMMERCIAL_TYPES
        listing_type = rng.choice([ListingType.SALE, ListingType.LEASE, ListingType.BOTH])
        low, high, per_sqm = SCALE[kind]
        sqm = Decimal(rng.randrange(low, high + 1)) if high else None
        floor_area = _in_unit(sqm, unit)
        lot = Decimal(rng.randrange(400, 20000)) if kind in (PropertyType.LAND, PropertyType.HOUSE) else None
        price = Decimal(int(sqm or lot or 1000) * (per_sqm or 600) // 1000 * 1000)
        owner = ctx.some("contacts.contact")
        landlord = ctx.some("contacts.company") if commercial else []
        title = f"{rng.choice(TITLES[kind])}, {city}"
        listings.append(
            Property(
                org=ctx.org, reference=f"DEMO-{i + 1:04d}", title=title, property_type=kind,
                listing_type=listing_type, status=rng.choice(STATUSES),
                street=f"{rng.randint(1, 240)} {rng.choice(STREETS)}", city=city, region=region,
                postal_code=f"{postcode} {rng.randint(1, 9)}", country=country,
                latitude=round(lat + rng.uniform(-0.06, 0.06), 6),
                longitude=round(lng + rng.uniform(-0.08, 0.08), 6),
                floor_area=floor_area, area_unit=unit, floor_area_sqm=square_metres(floor_area, unit),
                lot_size=lot, lot_size_unit=AreaUnit.SQ_M, lot_size_sqm=lot,
                year_built=rng.randint(1890, 2024) if kind != PropertyType.LAND else None,
                floors=rng.randint(1, 12) if commercial else None,
                bedrooms=rng.randint(1, 5) if kind in (PropertyType.HOUSE, PropertyType.APARTMENT) else None,
                bathrooms=Decimal(rng.choice(["1", "1.5", "2", "2.5", "3"]))
                if kind in (PropertyType.HOUSE, PropertyType.APARTMENT) else None,
                asking_price=price if listing_type != ListingType.LEASE else None,
                lease_rate=(price / 200).quantize(Decimal("1")) if listing_type != ListingType.SALE else None,
                lease_rate_period=RatePeriod.YEAR if commercial else RatePeriod.MONTH,
                lease_rate_basis=RateBasis.TOTAL, currency=currency,
                cap_rate=Decimal(rng.randrange(400, 800)) / 100 if commercial else None,
                parking_spaces=rng.randint(0, 40) if commercial else rng.randint(0, 2),
                amenities=sorted(rng.sample(AMENITIES["commercial" if commercial else "residential"], 3)),
                description=f"{title}: {rng.choice(HIGHLIGHTS).lower()}, well connected and ready to view.",
                highlights=rng.sample(HIGHLIGHTS, 2), listing_agent=agent,
                owner_contact_id=owner[0] if owner else None,
                landlord_company_id=landlord[0] if landlord else None,
                is_published=rng.random() < 0.6, public_slug=f"{slugify(title)}-{new_public_slug()}",
                created_by=agent, updated_by=agent, assigned_to=[agent.pk],
                tags=rng.sample(TAGS, rng.randrange(0, 3)),
            )
        )  # fmt: skip
    Property.objects.bulk_create(listings, batch_size=1000)
    spaces = _spaces(ctx, [listing for listing in listings if listing.property_type in COMMERCIAL_TYPES])
    changes = _price_history(ctx, listings)
    for listing in ctx.storied(listings):
        _story(ctx, listing)
    ctx.made["properties.property"] = [listing.pk for listing in listings]
    return {"properties": len(listings), "property spaces": len(spaces), "price changes": len(changes)}


def _in_unit(sqm: Decimal | None, unit: str) -> Decimal | None:
    if sqm is None:
        return None
    return sqm if unit == AreaUnit.SQ_M else (sqm / Decimal("0.09290304")).quantize(Decimal("1"))


def _spaces(ctx: DemoContext, listings: list[Property]) -> list[Space]:
    spaces = []
    for listing in listings:
        for n in range(ctx.rng.randint(1, 4)):
            size = (listing.floor_area or Decimal(2000)) / Decimal(ctx.rng.randint(3, 8))
            size = size.quantize(Decimal("1"))
            spaces.append(
                Space(
                    org=ctx.org, property=listing, name=f"Suite {n + 1}0{ctx.rng.randint(1, 9)}", floor=str(n + 1),
                    size=size, size_unit=listing.area_unit, size_sqm=square_metres(size, listing.area_unit),
                    rate=(listing.lease_rate or Decimal(30000)) / 4, rate_period=RatePeriod.YEAR,
                    available_from=ctx.now.date() + datetime.timedelta(days=ctx.rng.randrange(-30, 240)),
                    status=ctx.rng.choice(["available", "available", "under_offer", "let"]),
                    created_by=listing.created_by, updated_by=listing.created_by,
                )
            )  # fmt: skip
    return Space.objects.bulk_create(spaces, batch_size=1000)


def _price_history(ctx: DemoContext, listings: list[Property]) -> list[PriceChange]:
    """The listed price as the first change; for some listings, a reduction a few weeks later."""
    rows: list[PriceChange] = []
    for listing in listings:
        listed = ctx.now - datetime.timedelta(days=ctx.rng.randint(30, 120))
        for field in ("asking_price", "lease_rate"):
            amount = getattr(listing, field)
            if amount is None:
                continue
            if ctx.rng.random() < 0.3:
                step = Decimal("1000") if field == "asking_price" else Decimal("1")
                first = (amount * Decimal("1.08")).quantize(step)
                rows.append(_change(listing, field, None, first, listed))
                reduced_at = ctx.later(listed + datetime.timedelta(days=14))
                rows.append(_change(listing, field, first, amount, reduced_at))
            else:
                rows.append(_change(listing, field, None, amount, listed))
    return PriceChange.objects.bulk_create(rows, batch_size=1000)


def _change(listing: Property, field: str, old: Any, new: Decimal, at: datetime.datetime) -> PriceChange:
    agent = listing.created_by
    return PriceChange(
        org=listing.org, property=listing, field=field, old_value=old, new_value=new, currency=listing.currency,
        is_drop=old is not None and new < old, changed_at=at, changed_by=agent, created_by=agent, updated_by=agent,
    )  # fmt: skip


def _story(ctx: DemoContext, listing: Property) -> None:
    """Created as a draft, then the moves that led to where the listing is now."""
    agent, timeline = listing.created_by, ctx.timeline
    when = ctx.started()
    timeline.created(listing, agent, when)
    path = {
        PropertyStatus.COMING_SOON: ["coming_soon"],
        PropertyStatus.ACTIVE: ["active"],
        PropertyStatus.UNDER_CONTRACT: ["active", "under_contract"],
        PropertyStatus.OFF_MARKET: ["active", "off_market"],
    }.get(PropertyStatus(listing.status), [])
    old = "draft"
    for status in path:
        when = ctx.later(when)
        timeline.log(listing, agent, "status_changed", {"status": [old, status]}, when)
        old = status
    if ctx.rng.random() < 0.5:
        timeline.comment(listing, agent, ctx.rng.choice(NOTES), ctx.later(when))
