"""Listings (a property the agency markets), the spaces of commercial buildings, and asking-price history."""

from __future__ import annotations

import secrets
from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Lower, Upper
from django.utils import timezone

from common.models import BaseModel, Profile, RecordModel
from common.search import accent_free_trigram_index
from properties.geo import location_point


class PropertyType(models.TextChoices):
    OFFICE = "office", "Office"
    RETAIL = "retail", "Retail"
    INDUSTRIAL = "industrial", "Industrial"
    WAREHOUSE = "warehouse", "Warehouse"
    MULTIFAMILY = "multifamily", "Multifamily"
    LAND = "land", "Land"
    HOSPITALITY = "hospitality", "Hospitality"
    MIXED_USE = "mixed_use", "Mixed use"
    HOUSE = "house", "House"
    APARTMENT = "apartment", "Apartment"


# The types whose buildings are let in parts (suites, units, floors): the demo gives them spaces.
COMMERCIAL_TYPES = (PropertyType.OFFICE, PropertyType.RETAIL, PropertyType.INDUSTRIAL, PropertyType.WAREHOUSE,
                    PropertyType.MIXED_USE)  # fmt: skip


class ListingType(models.TextChoices):
    SALE = "sale", "For sale"
    LEASE = "lease", "For lease"
    BOTH = "both", "For sale or lease"


class PropertyStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMING_SOON = "coming_soon", "Coming soon"
    ACTIVE = "active", "Active"
    UNDER_CONTRACT = "under_contract", "Under contract"
    SOLD = "sold", "Sold"
    LEASED = "leased", "Leased"
    OFF_MARKET = "off_market", "Off market"
    WITHDRAWN = "withdrawn", "Withdrawn"


class AreaUnit(models.TextChoices):
    SQ_M = "sq_m", "Square metres"
    SQ_FT = "sq_ft", "Square feet"


SQ_M_PER_UNIT = {AreaUnit.SQ_M: Decimal(1), AreaUnit.SQ_FT: Decimal("0.09290304")}  # the exact international foot
SQ_M_PLACES = Decimal("0.01")


def square_metres(value: Decimal | None, unit: str) -> Decimal | None:
    """An area in square metres, rounded to the centimetre. Stored columns and list filters both go through
    this one function, so the same area in the same unit always compares equal to itself."""
    if value is None:
        return None
    return (Decimal(value) * SQ_M_PER_UNIT[AreaUnit(unit)]).quantize(SQ_M_PLACES, rounding=ROUND_HALF_UP)


class RatePeriod(models.TextChoices):
    MONTH = "month", "Per month"
    YEAR = "year", "Per year"


class RateBasis(models.TextChoices):
    TOTAL = "total", "For the whole"
    PER_AREA = "per_area", "Per unit of area"


class Amenity(models.TextChoices):
    PARKING = "parking", "Parking"
    GARAGE = "garage", "Garage"
    ELEVATOR = "elevator", "Elevator"
    AIR_CONDITIONING = "air_conditioning", "Air conditioning"
    HEATING = "heating", "Heating"
    GYM = "gym", "Gym"
    POOL = "pool", "Pool"
    GARDEN = "garden", "Garden"
    BALCONY = "balcony", "Balcony"
    TERRACE = "terrace", "Terrace"
    CONCIERGE = "concierge", "Concierge"
    SECURITY = "security", "Security"
    STORAGE = "storage", "Storage"
    LOADING_DOCK = "loading_dock", "Loading dock"
    HIGH_CEILINGS = "high_ceilings", "High ceilings"
    FIBER_INTERNET = "fiber_internet", "Fibre internet"
    BIKE_STORAGE = "bike_storage", "Bike storage"
    EV_CHARGING = "ev_charging", "EV charging"
    WHEELCHAIR_ACCESS = "wheelchair_access", "Wheelchair access"
    FURNISHED = "furnished", "Furnished"
    PET_FRIENDLY = "pet_friendly", "Pet friendly"


def new_reference() -> str:
    """A reference for a listing created without one: short enough to read out on the phone."""
    return f"P-{secrets.token_hex(4).upper()}"


def new_public_slug() -> str:
    """The unguessable part of a public link; services put the title's slug in front of it."""
    return secrets.token_hex(6)


# Full-text search reads English stemming ("offices" finds "office"); title counts most, then the description,
# then the address.
SEARCH_CONFIG = "english"


def _search_document() -> CombinedExpression:
    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("description", weight="B", config=SEARCH_CONFIG)
        + SearchVector("street", "city", "region", "postal_code", weight="C", config=SEARCH_CONFIG)
    )


def _not_negative(prefix: str, *names: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(condition=Q(**{f"{name}__gte": 0}), name=f"{prefix}_{name}_not_negative")
        for name in names
    ]


class Property(RecordModel):
    reference = models.CharField(max_length=40, default=new_reference, help_text="Unique in the org, any case.")
    title = models.CharField(max_length=200)
    property_type = models.CharField(max_length=16, choices=PropertyType.choices)
    listing_type = models.CharField(max_length=8, choices=ListingType.choices, default=ListingType.SALE)
    status = models.CharField(max_length=16, choices=PropertyStatus.choices, default=PropertyStatus.DRAFT)
    # The address, structured so lists can filter by city and postal code.
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    # WGS 84 degrees; both or neither. Double precision, as the built-in `point` the GiST index is built on.
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    # Areas as the client gave them, and in square metres (set by properties.services) for filters to compare.
    floor_area = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    area_unit = models.CharField(max_length=8, choices=AreaUnit.choices, default=AreaUnit.SQ_M)
    floor_area_sqm = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    lot_size = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    lot_size_unit = models.CharField(max_length=8, choices=AreaUnit.choices, default=AreaUnit.SQ_M)
    lot_size_sqm = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    year_built = models.PositiveSmallIntegerField(null=True, blank=True)
    floors = models.PositiveSmallIntegerField(null=True, blank=True)
    units = models.PositiveIntegerField(null=True, blank=True)
    bedrooms = models.PositiveSmallIntegerField(null=True, blank=True)
    bathrooms = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    # Money, in `currency` (ISO 4217). A lease rate is per month or year, for the whole or per unit of area.
    asking_price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    lease_rate = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    lease_rate_period = models.CharField(max_length=8, choices=RatePeriod.choices, default=RatePeriod.MONTH)
    lease_rate_basis = models.CharField(max_length=8, choices=RateBasis.choices, default=RateBasis.TOTAL)
    currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217; the org's currency unless given.")
    cap_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True, help_text="%")
    # Net operating income, a year's; a building can lose money, so it may be negative.
    noi = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    # The public listing API shows NOI only when the agency says so; the cap rate is always public.
    noi_is_public = models.BooleanField(default=False)
    parking_spaces = models.PositiveIntegerField(null=True, blank=True)
    amenities = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    description = models.TextField(blank=True)
    highlights = ArrayField(models.CharField(max_length=120), default=list, blank=True)
    listing_agent = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    # SET_NULL: purging a contact or company must not fail or take the agency's inventory with it.
    owner_contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_properties"
    )
    landlord_company = models.ForeignKey(
        "contacts.Company", on_delete=models.SET_NULL, null=True, blank=True, related_name="landlord_properties"
    )
    is_published = models.BooleanField(default=False)
    # Stable once made (a published link keeps working when the title changes).
    public_slug = models.SlugField(max_length=120, default=new_public_slug)
    search_document = models.GeneratedField(
        expression=_search_document(), output_field=SearchVectorField(), db_persist=True
    )

    assignment_notification_kind: ClassVar[str] = "property_assigned"
    # The inventory is the agency's: every member reads every listing (writes still follow may_write).
    members_read_all: ClassVar[bool] = True

    class Meta(RecordModel.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "properties"
        constraints = [
            models.UniqueConstraint(Lower("reference"), "org", name="property_reference_ci_unique_per_org"),
            models.UniqueConstraint(fields=["org", "public_slug"], name="property_slug_unique_per_org"),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90), name="property_latitude_in_range"
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180), name="property_longitude_in_range"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="property_coordinates_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(cap_rate__gte=0, cap_rate__lte=100), name="property_cap_rate_0_100"
            ),
            models.CheckConstraint(condition=Q(status__in=PropertyStatus.values), name="property_status_valid"),
            models.CheckConstraint(condition=Q(property_type__in=PropertyType.values), name="property_type_valid"),
            models.CheckConstraint(
                condition=Q(listing_type__in=ListingType.values), name="property_listing_type_valid"
            ),
            *_not_negative("property", "asking_price", "lease_rate", "bathrooms"),
            *_not_negative("property", "floor_area", "floor_area_sqm", "lot_size", "lot_size_sqm"),
        ]
        indexes = [
            *RecordModel.Meta.indexes,
            GistIndex(location_point(), name="property_location_gist"),
            GinIndex(fields=["search_document"], name="property_search_gin"),
            GinIndex(fields=["amenities"], name="property_amenities_gin"),
            # `?search=` is `UPPER(col) LIKE UPPER('%term%')` on these.
            accent_free_trigram_index("title", "property_title_trgm"),
            GinIndex(OpClass(Upper("reference"), name="gin_trgm_ops"), name="property_reference_trgm"),
        ]

    def __str__(self) -> str:
        return self.title or self.reference


class SpaceStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    UNDER_OFFER = "under_offer", "Under offer"
    LET = "let", "Let"


class Space(BaseModel):
    """A suite, unit or floor of a property let on its own. Part of its property (its changes are on the
    property's timeline), not a record of its own; priced in the property's currency."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="spaces")
    name = models.CharField(max_length=100)
    floor = models.CharField(max_length=20, blank=True)
    size = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    size_unit = models.CharField(max_length=8, choices=AreaUnit.choices, default=AreaUnit.SQ_M)
    size_sqm = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    rate = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    rate_period = models.CharField(max_length=8, choices=RatePeriod.choices, default=RatePeriod.MONTH)
    rate_basis = models.CharField(max_length=8, choices=RateBasis.choices, default=RateBasis.TOTAL)
    # None: available now.
    available_from = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=SpaceStatus.choices, default=SpaceStatus.AVAILABLE)

    class Meta:
        ordering = ["floor", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "property", "name"], name="space_name_unique_per_property"),
            models.CheckConstraint(condition=Q(status__in=SpaceStatus.values), name="space_status_valid"),
            *_not_negative("space", "size", "size_sqm", "rate"),
        ]
        indexes = [
            # The list's space filters are one EXISTS per property over these columns.
            models.Index(fields=["property", "size_sqm", "available_from"], name="space_search"),
        ]

    def __str__(self) -> str:
        return self.name


class PricedField(models.TextChoices):
    ASKING_PRICE = "asking_price", "Asking price"
    LEASE_RATE = "lease_rate", "Lease rate"


class PriceChange(BaseModel):
    """One change of a listing's asking price or lease rate (its first value counts), written by
    properties.services in the same transaction as the change itself."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="price_changes")
    field = models.CharField(max_length=16, choices=PricedField.choices)
    old_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    new_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3)
    # A lower amount in the same currency: what saved searches will tell their subscribers about.
    is_drop = models.BooleanField(default=False)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(field__in=PricedField.values), name="price_change_field_valid"),
        ]
        indexes = [models.Index(fields=["property", "-changed_at", "-id"], name="price_change_history")]

    def __str__(self) -> str:
        return f"{self.field} {self.old_value} -> {self.new_value} {self.currency}"


class ContactRole(models.TextChoices):
    OWNER = "owner", "Owner"
    TENANT = "tenant", "Tenant"
    PROSPECT = "prospect", "Prospect"
    BUYER = "buyer", "Buyer"


class PropertyContact(BaseModel):
    """A contact's part in a listing (its owner, a tenant, a prospect, a buyer). One contact may hold several
    roles on one listing (an owner who also rents a unit), each once."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="contact_links")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="property_links")
    role = models.CharField(max_length=16, choices=ContactRole.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "property", "contact", "role"], name="property_contact_role_unique"
            ),
            models.CheckConstraint(condition=Q(role__in=ContactRole.values), name="property_contact_role_valid"),
        ]
        indexes = [models.Index(fields=["contact", "created_at"], name="property_contact_by_contact")]

    def __str__(self) -> str:
        return f"{self.contact_id} as {self.role} of {self.property_id}"
