"""What an agency's website sees: published, live listings, the list's search without its internal filters, and a
guided search that turns three answers into ranked listings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Abs, Coalesce

from common.errors import NotFound
from properties.filters import ListingSearch
from properties.models import ListingType, Property, RateBasis, RatePeriod, Space, SpaceStatus
from tenants.models import Org

# How far over the budget a guided search still looks (a buyer with 500,000 still sees 540,000 listings).
BUDGET_STRETCH = Decimal("1.10")
GUIDED_RESULTS = 20


def published_listings(org: Org) -> QuerySet[Property]:
    """Every listing the org shows the public, with its available spaces (one extra query for the page)."""
    available = Space.objects.for_org(org).filter(status=SpaceStatus.AVAILABLE).order_by("floor", "name", "id")
    return (
        Property.objects.for_org(org)
        .filter(is_published=True, archived_at__isnull=True)
        .prefetch_related(Prefetch("spaces", queryset=available, to_attr="public_spaces"))
    )


def published_listing(org: Org, public_slug: Any) -> Property:
    """One published listing by its public slug; unpublished, archived, another org's or unknown: one 404."""
    listing: Property | None = published_listings(org).filter(public_slug=str(public_slug)).first()
    if listing is None:
        raise NotFound()
    return listing


class PublicPropertyFilter(ListingSearch):
    """The listing search for the public, in the org the URL names (there is no member behind the request)."""

    def __init__(self, *args: Any, org: Org, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.public_org = org

    def org(self) -> Any:
        return self.public_org


# --- Guided search ----------------------------------------------------------------------------------------------


class Intent:
    BUY = "buy"
    RENT = "rent"
    CHOICES = ((BUY, "Buy"), (RENT, "Rent or lease"))


@dataclass(frozen=True)
class GuidedAnswers:
    intent: str
    budget: Decimal
    area: str = ""
    property_type: str = ""


def _monthly_rent() -> Any:
    """A lease rate as a whole monthly rent: per-area rates times the floor area, yearly ones over twelve."""
    money = DecimalField(max_digits=20, decimal_places=4)
    whole = Case(
        When(lease_rate_basis=RateBasis.PER_AREA, then=F("lease_rate") * F("floor_area")),
        default=F("lease_rate"),
        output_field=money,
    )
    return Case(
        When(lease_rate_period=RatePeriod.YEAR, then=ExpressionWrapper(whole / Value(12), output_field=money)),
        default=whole,
        output_field=money,
    )


def guided_search(org: Org, answers: GuidedAnswers) -> QuerySet[Property]:
    """Listings for the intent, at most 10% over the budget, in the area (city, region or postcode start) and of
    the type when given; ranked within budget first, then by how close the price is to the budget, newest on a
    tie."""
    listings = published_listings(org)
    if answers.intent == Intent.BUY:
        listings = listings.filter(
            listing_type__in=(ListingType.SALE, ListingType.BOTH), asking_price__isnull=False
        )
        price: Any = F("asking_price")
    else:
        listings = listings.filter(
            listing_type__in=(ListingType.LEASE, ListingType.BOTH), lease_rate__isnull=False
        )
        price = _monthly_rent()
    if answers.area:
        area = answers.area.strip()
        listings = listings.filter(
            Q(city__iexact=area) | Q(region__iexact=area) | Q(postal_code__istartswith=area.replace(" ", ""))
            | Q(postal_code__istartswith=area)
        )  # fmt: skip
    if answers.property_type:
        listings = listings.filter(property_type=answers.property_type)
    budget = Value(answers.budget, output_field=DecimalField(max_digits=20, decimal_places=4))
    return (
        listings.annotate(guided_price=price)
        .filter(guided_price__isnull=False, guided_price__lte=answers.budget * BUDGET_STRETCH)
        .annotate(
            over_budget=Case(When(guided_price__gt=budget, then=Value(1)), default=Value(0)),
            budget_gap=Coalesce(Abs(F("guided_price") - budget), Value(Decimal(0))),
        )
        .order_by("over_budget", "budget_gap", "-created_at", "-id")[:GUIDED_RESULTS]
    )
