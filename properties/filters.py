"""List filters for listings: attributes, price and area ranges, their spaces, full text and geo."""

from __future__ import annotations

import math
from typing import Any

import django_filters
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from common.errors import ApiError, field_error
from properties import geo
from properties.models import (
    SEARCH_CONFIG,
    Amenity,
    AreaUnit,
    ListingType,
    Property,
    PropertyStatus,
    PropertyType,
    Space,
    SpaceStatus,
    square_metres,
)
from records.filters import AnyOfFilter, RecordFilterSet
from tenants.pipeline.context import org_request

# The parameters read together in ListingSearch.filter_queryset rather than one by one.
GEO_PARAMS = ("near", "radius_km", "bbox")
AREA_PARAMS = ("area_min", "area_max", "space_area_min", "space_area_max")
# Larger than any building or plot (Earth's land is about 1.5e14 m²), small enough to convert exactly.
AREA_LIMIT = 10**12


def _invalid(name: str, detail: str) -> ApiError:
    return field_error(name, "invalid", detail)


def _numbers(name: str, raw: str, count: int) -> list[float]:
    parts = [part.strip() for part in raw.split(",")]
    try:
        values = [float(part) for part in parts]
    except ValueError:
        values = []
    if len(values) != count or not all(math.isfinite(value) for value in values):
        raise _invalid(name, f"Give {count} comma-separated numbers.")
    return values


def _latitude(name: str, value: float) -> float:
    if not -90 <= value <= 90:
        raise _invalid(name, "A latitude must be between -90 and 90.")
    return value


def _longitude(name: str, value: float) -> float:
    if not -180 <= value <= 180:
        raise _invalid(name, "A longitude must be between -180 and 180.")
    return value


@extend_schema_field(OpenApiTypes.NUMBER)
class CountAtLeastFilter(django_filters.NumberFilter):
    """At least this many (bedrooms): any number, "2.5" meaning 3 or more; documented as a number, which is what
    it reads (the column is a whole number)."""


class ListingSearch(django_filters.FilterSet):
    """What anyone searching listings may ask for: the public listing API uses exactly this."""

    type = AnyOfFilter(field_name="property_type", choices=PropertyType.choices, help_text="Repeat for several.")
    status = AnyOfFilter(choices=PropertyStatus.choices, help_text="Repeat for several.")
    listing_type = django_filters.ChoiceFilter(
        choices=ListingType.choices, method="filter_listing_type", help_text="sale or lease also match `both`."
    )
    price_min = django_filters.NumberFilter(field_name="asking_price", lookup_expr="gte", help_text="Included.")
    price_max = django_filters.NumberFilter(field_name="asking_price", lookup_expr="lte", help_text="Included.")
    rate_min = django_filters.NumberFilter(
        field_name="lease_rate", lookup_expr="gte", help_text="The lease rate as stored (its period and basis)."
    )
    rate_max = django_filters.NumberFilter(field_name="lease_rate", lookup_expr="lte", help_text="Included.")
    currency = django_filters.CharFilter(lookup_expr="iexact")
    area_unit = django_filters.ChoiceFilter(
        choices=AreaUnit.choices, method="filter_nothing", help_text="Of every area filter; default sq_m."
    )
    area_min = django_filters.NumberFilter(method="filter_nothing", help_text="Floor area, in `area_unit`.")
    area_max = django_filters.NumberFilter(method="filter_nothing", help_text="Floor area, in `area_unit`.")
    bedrooms_min = CountAtLeastFilter(field_name="bedrooms", lookup_expr="gte")
    amenities = django_filters.CharFilter(method="filter_amenities", help_text="Comma-separated; all of them.")
    city = django_filters.CharFilter(lookup_expr="iexact")
    region = django_filters.CharFilter(lookup_expr="iexact")
    postal_code = django_filters.CharFilter(lookup_expr="istartswith", help_text="The code or its start.")
    space_area_min = django_filters.NumberFilter(
        method="filter_nothing", help_text="A space at least this big (in `area_unit`)."
    )
    space_area_max = django_filters.NumberFilter(
        method="filter_nothing", help_text="A space at most this big (in `area_unit`)."
    )
    space_available_before = django_filters.DateFilter(
        method="filter_nothing", help_text="A space available before this date (no date: available now)."
    )
    space_status = AnyOfFilter(
        choices=SpaceStatus.choices, method="filter_nothing", help_text="A space in one of these statuses."
    )
    q = django_filters.CharFilter(
        method="filter_text", help_text="Full text over title, description and address; best matches first."
    )
    near = django_filters.CharFilter(
        method="filter_nothing", help_text="`<lat>,<lng>`, with radius_km: nearest first, with distance_km."
    )
    radius_km = django_filters.NumberFilter(
        method="filter_nothing", help_text=f"With `near`: more than 0, at most {geo.MAX_RADIUS_KM:g}."
    )
    bbox = django_filters.CharFilter(
        method="filter_nothing", help_text="`<south>,<west>,<north>,<east>` in degrees; west > east crosses 180."
    )

    class Meta:
        model = Property
        fields = ["type", "status", "listing_type", "city", "region", "postal_code"]

    def org(self) -> Any:
        return org_request(self.request).org

    def filter_nothing(self, queryset: QuerySet[Any], name: str, value) -> QuerySet[Any]:
        """These parameters work together; filter_queryset reads them. `value` has no type hint on purpose: the
        schema then documents each parameter by its filter's type (a number, a date, a list of statuses)."""
        return queryset

    def filter_listing_type(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == ListingType.BOTH:
            return queryset.filter(listing_type=ListingType.BOTH)
        return queryset.filter(listing_type__in=[value, ListingType.BOTH])

    def filter_amenities(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        wanted = sorted({part.strip().lower() for part in value.split(",") if part.strip()})
        unknown = [amenity for amenity in wanted if amenity not in Amenity.values]
        if unknown:
            names = ", ".join(f'"{amenity}"' for amenity in unknown)
            detail = f"Unknown amenity {names}; use any of: {', '.join(Amenity.values)}."
            raise field_error(name, "invalid_choice", detail)
        return queryset.filter(amenities__contains=wanted) if wanted else queryset

    def filter_text(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if not value.strip():
            return queryset
        query = SearchQuery(value, config=SEARCH_CONFIG, search_type="websearch")
        return (
            queryset.filter(search_document=query)
            .annotate(search_rank=SearchRank(F("search_document"), query))
            .order_by("-search_rank", "-created_at", "-id")
        )

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        queryset = self._areas(queryset, data)
        return self._geo(queryset, data)

    # --- areas and spaces ----------------------------------------------------------------------------------

    def _areas(self, queryset: QuerySet[Any], data: dict[str, Any]) -> QuerySet[Any]:
        unit = data.get("area_unit") or AreaUnit.SQ_M

        def sqm(name: str) -> Any:
            if data.get(name) is None:
                return None
            if not 0 <= data[name] <= AREA_LIMIT:
                raise _invalid(name, f"An area is between 0 and {AREA_LIMIT:,} (in `area_unit`).")
            return square_metres(data[name], unit)

        area_min, area_max = sqm("area_min"), sqm("area_max")
        if area_min is not None:
            queryset = queryset.filter(floor_area_sqm__gte=area_min)
        if area_max is not None:
            queryset = queryset.filter(floor_area_sqm__lte=area_max)
        space = Q()
        if (space_min := sqm("space_area_min")) is not None:
            space &= Q(size_sqm__gte=space_min)
        if (space_max := sqm("space_area_max")) is not None:
            space &= Q(size_sqm__lte=space_max)
        if data.get("space_available_before") is not None:
            space &= Q(available_from__isnull=True) | Q(available_from__lt=data["space_available_before"])
        if data.get("space_status"):
            space &= Q(status__in=data["space_status"])
        if not space:
            return queryset
        # One EXISTS per listing: every condition holds for the same space, and a listing with many matching
        # spaces is still one row (no join, no DISTINCT).
        spaces = Space.objects.for_org(self.org()).filter(space, property=OuterRef("pk"))
        return queryset.filter(Exists(spaces))

    # --- geo -----------------------------------------------------------------------------------------------

    def _geo(self, queryset: QuerySet[Any], data: dict[str, Any]) -> QuerySet[Any]:
        near, radius, bbox = data.get("near"), data.get("radius_km"), data.get("bbox")
        if bbox:
            south, west, north, east = _numbers("bbox", bbox, 4)
            for latitude in (south, north):
                _latitude("bbox", latitude)
            for longitude in (west, east):
                _longitude("bbox", longitude)
            if south > north:
                raise _invalid("bbox", "The south edge must not be above the north edge.")
            queryset = queryset.filter(geo.Box(south, west, north, east).condition())
        if radius is not None and not near:
            raise field_error("near", "required", "radius_km needs a centre: near=<lat>,<lng>.")
        if not near:
            return queryset
        latitude, longitude = _numbers("near", near, 2)
        _latitude("near", latitude)
        _longitude("near", longitude)
        if radius is None:
            raise field_error("radius_km", "required", "near needs a radius_km.")
        radius_km = float(radius)
        if not 0 < radius_km <= geo.MAX_RADIUS_KM:
            raise _invalid("radius_km", f"The radius must be more than 0 and at most {geo.MAX_RADIUS_KM:g} km.")
        return (
            queryset.filter(geo.box_around(latitude, longitude, radius_km).condition())
            .annotate(distance_km=geo.distance_km(latitude, longitude))
            .filter(distance_km__lte=radius_km)
            .order_by("distance_km", "id")
        )


class PropertyFilter(RecordFilterSet, ListingSearch):
    """The members' list: the search, plus who works a listing, its owner and landlord, whether it is public."""

    listing_agent = django_filters.UUIDFilter(field_name="listing_agent_id", help_text="A profile id.")
    owner_contact = django_filters.UUIDFilter(field_name="owner_contact_id")
    landlord_company = django_filters.UUIDFilter(field_name="landlord_company_id")
    is_published = django_filters.BooleanFilter()

    class Meta:
        model = Property
        fields = ["type", "status", "listing_type", "city", "region", "postal_code", "listing_agent"]
