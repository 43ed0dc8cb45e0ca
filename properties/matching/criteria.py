"""Saved-search criteria: the filters of `GET /api/properties/`, checked by the list's own filter set and unit
normalisation, turned into the typed columns of SavedSearch; and the test of one listing against those columns
as a SQL condition (constants from the listing, columns from the searches).

Accepted (the list's names and meanings): type, status, listing_type, price_min/max, rate_min/max, currency,
area_unit + area_min/max (compared in square metres), bedrooms_min, amenities (all of them), city, region,
postal_code (its start), tags (any of them), near + radius_km or bbox, listing_agent. `type`, `status`, `city`,
`region` and `postal_code` may be lists (any of them). Where the list filter means "any status", a saved search
means "active": savers want listings on the market unless they say otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.backends.postgresql.psycopg_any import NumericRange
from django.db.models import BooleanField, F, FloatField, Func, Q, Value
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt
from django.http import QueryDict
from django_filters.utils import translate_validation
from rest_framework import serializers

from common.errors import ApiError, field_error
from properties import geo
from properties.filters import PropertyFilter
from properties.matching.models import ANY_VALUE
from properties.models import AreaUnit, ListingType, Property, PropertyStatus, square_metres
from records.fields import active_profiles_of
from tenants.models import Org

# Criteria a list may give several values of (any of them), and the longest value of each.
SEVERAL = {"type": 16, "status": 16, "city": 100, "region": 100, "postal_code": 20}
# Comma-separated in the list's query string; a JSON list is accepted too.
JOINED = {"amenities", "tags"}
SINGLE = {"listing_type", "price_min", "price_max", "rate_min", "rate_max", "currency", "area_unit", "area_min",
          "area_max", "bedrooms_min", "near", "radius_km", "bbox", "listing_agent"}  # fmt: skip
SUPPORTED = sorted({*SEVERAL, *JOINED, *SINGLE})
MAX_VALUES = 20
MAX_WORD = 50  # the longest tag (an amenity is shorter)
# The largest bound each number may have: what the listing column it is compared with can hold.
LARGEST = {"price_min": 10**12, "price_max": 10**12, "rate_min": 10**10, "rate_max": 10**10, "area_min": 10**10,
           "area_max": 10**10, "bedrooms_min": 32767}  # fmt: skip
_PREFIX = "criteria"
_UNBOUNDED = NumericRange(None, None)


@dataclass(frozen=True)
class Criteria:
    """The cleaned criteria as the client sees them, and the SavedSearch column values they make."""

    shown: dict[str, Any]
    columns: dict[str, Any]


def _error(name: str, code: str, detail: str) -> ApiError:
    return field_error(f"{_PREFIX}.{name}", code, detail)


def _as_query(raw: dict[str, Any]) -> QueryDict:
    """The criteria as the list's query string would carry them; refuses what the list would not read."""
    query = QueryDict(mutable=True)
    for name, value in raw.items():
        if name not in SUPPORTED:
            raise _error(name, "unsupported", f"Not a saved-search criterion; use any of: {', '.join(SUPPORTED)}.")
        values = value if isinstance(value, list) else [value]
        if len(values) > MAX_VALUES:
            raise _error(name, "too_many", f"Give at most {MAX_VALUES} values.")
        if any(isinstance(item, (dict, list, bool)) or item is None for item in values):
            raise _error(
                name, "invalid", "Give a string or a number (or a list of them where several are allowed)."
            )
        texts = [str(item).strip() for item in values]
        parts = [part.strip() for text in texts for part in text.split(",")] if name in JOINED else texts
        if ANY_VALUE in parts:
            raise _error(name, "invalid", f'"{ANY_VALUE}" is not a value; leave the criterion out to allow any.')
        if name in JOINED:
            if any(len(part) > MAX_WORD for part in parts):
                raise _error(name, "invalid", f"Each value must have at most {MAX_WORD} characters.")
            query.setlist(name, [",".join(texts)])
        elif name in SEVERAL:
            too_long = [text for text in texts if not text or len(text) > SEVERAL[name]]
            if too_long:
                raise _error(name, "invalid", f"Each value must have 1 to {SEVERAL[name]} characters.")
            query.setlist(name, list(dict.fromkeys(texts)))
        elif len(texts) != 1:
            raise _error(name, "invalid", "Give one value.")
        else:
            query.setlist(name, texts)
    return query


def _checked_by_the_list(query: QueryDict) -> dict[str, Any]:
    """The list's filter set validates every value (choices, numbers, amenities, the geo rules) exactly as
    `GET /api/properties/` does; its errors come back under `criteria.<name>`."""
    filterset = PropertyFilter(data=query, queryset=Property.all_orgs_unsafe.none(), request=None)
    if not filterset.is_valid():
        raise serializers.ValidationError({_PREFIX: translate_validation(filterset.errors).detail})
    # Before the list's own conversion, which cannot take an area of 10^30 m².
    for name, most in LARGEST.items():
        value = filterset.form.cleaned_data.get(name)
        if value is not None and abs(value) > most:
            raise _error(name, "invalid", f"Give a number no larger than {most:,}.")
    try:
        filterset.qs  # noqa: B018 - building the query runs the method filters' checks (amenities, near, bbox)
    except ApiError as error:
        error.fields = {f"{_PREFIX}.{name}": errors for name, errors in error.fields.items()}
        raise
    return dict(filterset.form.cleaned_data)


def _range(low: Any, high: Any, low_name: str, high_name: str) -> NumericRange:
    if low is not None and high is not None and low > high:
        raise _error(high_name, "invalid", f"{high_name} must not be below {low_name}.")
    if low is None and high is None:
        return _UNBOUNDED
    return NumericRange(low, high, "[]")


def _boxes(box: geo.Box) -> tuple[str, str | None]:
    """A box as PostgreSQL's `box` text, split in two where it crosses the antimeridian."""

    def text(west: float, east: float) -> str:
        return f"(({west!r},{box.south!r}),({east!r},{box.north!r}))"

    if box.west > box.east:
        return text(box.west, 180.0), text(-180.0, box.east)
    return text(box.west, box.east), None


def _floats(raw: str) -> list[float]:
    return [float(part) for part in raw.split(",")]


def _geo(data: dict[str, Any], shown: dict[str, Any]) -> dict[str, Any]:
    near, bbox = data.get("near"), data.get("bbox")
    if near and bbox:
        raise _error("bbox", "invalid", "Give either near with radius_km, or bbox, not both.")
    empty = {"area_box": None, "area_box_wrap": None, "near_latitude": None, "near_longitude": None}
    if bbox:
        south, west, north, east = _floats(bbox)
        shown["bbox"] = ",".join(repr(value) for value in (south, west, north, east))
        area, wrap = _boxes(geo.Box(south, west, north, east))
        return {**empty, "area_box": area, "area_box_wrap": wrap, "radius_km": None}
    if near:
        latitude, longitude = _floats(near)
        radius = float(data["radius_km"])
        shown["near"], shown["radius_km"] = f"{latitude!r},{longitude!r}", str(data["radius_km"])
        area, wrap = _boxes(geo.box_around(latitude, longitude, radius))
        return {"area_box": area, "area_box_wrap": wrap, "near_latitude": latitude, "near_longitude": longitude,
                "radius_km": radius}  # fmt: skip
    return {**empty, "radius_km": None}


def _listing_agent(org: Org, value: Any) -> Any:
    if value is None:
        return None
    if not active_profiles_of(org).filter(pk=value).exists():
        # Worded like every related id: another org's member and a random id cannot be told apart.
        raise _error("listing_agent", "does_not_exist", f'Invalid pk "{value}" - object does not exist.')
    return value


def criteria_clean(raw: Any, *, org: Org) -> Criteria:
    """Validate list filters for a saved search and derive its columns; a 400 with `criteria.<name>` fields
    otherwise."""
    if not isinstance(raw, dict):
        raise field_error(_PREFIX, "invalid", "Give the criteria as an object of list filters.")
    query = _as_query(raw)
    data = _checked_by_the_list(query)
    shown: dict[str, Any] = {}

    def any_of(name: str, values: list[str], normalise: Any = str.upper) -> list[str]:
        if not values:
            return [ANY_VALUE]
        shown[name] = values
        return sorted({normalise(value) for value in values})

    statuses = sorted(set(data.get("status") or [PropertyStatus.ACTIVE]))
    shown["status"] = statuses
    types = sorted(set(data.get("type") or []))
    listing_type = data.get("listing_type") or ""
    if listing_type:
        shown["listing_type"] = listing_type
    listing_types = [listing_type] if listing_type == ListingType.BOTH else [listing_type, ListingType.BOTH]
    amenities = sorted({part.strip().lower() for part in (data.get("amenities") or "").split(",") if part.strip()})
    tags = sorted({part.strip().lower() for part in (data.get("tags") or "").split(",") if part.strip()})
    currency = (data.get("currency") or "").strip().upper()
    if currency and not (len(currency) == 3 and currency.isalpha()):
        raise _error("currency", "invalid", "Use a three-letter ISO 4217 code such as EUR.")
    unit = data.get("area_unit") or AreaUnit.SQ_M
    columns: dict[str, Any] = {
        "statuses": statuses,
        "property_types": any_of("type", types, str),
        "listing_types": sorted(listing_types) if listing_type else [ANY_VALUE],
        "cities": any_of("city", query.getlist("city")),
        "regions": any_of("region", query.getlist("region")),
        "postal_code_prefixes": any_of("postal_code", query.getlist("postal_code")),
        "tags": any_of("tags", tags, str),
        "amenities": amenities,
        "currency": currency,
        "price_range": _range(data.get("price_min"), data.get("price_max"), "price_min", "price_max"),
        "rate_range": _range(data.get("rate_min"), data.get("rate_max"), "rate_min", "rate_max"),
        "area_sqm_range": _range(
            square_metres(data.get("area_min"), unit) if data.get("area_min") is not None else None,
            square_metres(data.get("area_max"), unit) if data.get("area_max") is not None else None,
            "area_min",
            "area_max",
        ),
        "bedrooms_range": _UNBOUNDED
        if data.get("bedrooms_min") is None
        else NumericRange(math.ceil(data["bedrooms_min"]), None, "[)"),
        "listing_agent_id": _listing_agent(org, data.get("listing_agent")),
        **_geo(data, shown),
    }
    if amenities:
        shown["amenities"] = amenities
    for name in ("price_min", "price_max", "rate_min", "rate_max", "area_min", "area_max", "bedrooms_min"):
        if data.get(name) is not None:
            shown[name] = str(data[name])
    if data.get("area_min") is not None or data.get("area_max") is not None:
        shown["area_unit"] = unit
    if currency:
        shown["currency"] = currency
    if columns["listing_agent_id"] is not None:
        shown["listing_agent"] = str(columns["listing_agent_id"])
    return Criteria(shown=dict(sorted(shown.items())), columns=columns)


# --- A listing against every search, in SQL ----------------------------------------------------------------


def _upper(text: str) -> str:
    return text.strip().upper()


def _offered(*values: str) -> list[str]:
    """A listing's values for an "any of" test, with the wildcard every unconstrained search holds."""
    return [*dict.fromkeys(value for value in values if value), ANY_VALUE]


def _prefixes(postal_code: str) -> list[str]:
    code = _upper(postal_code)
    return [code[:end] for end in range(1, len(code) + 1)]


def _within(column: str, amount: Decimal | int | None) -> Q:
    """`range @> amount`; a listing without the amount suits only searches that ask nothing of it."""
    if amount is None:
        return Q(**{column: _UNBOUNDED})
    # As the one-point range [amount, amount]: Django casts a bare amount to the range's base field, which
    # for numrange comes out as `numeric(None, None)`.
    return Q(**{f"{column}__contains": NumericRange(amount, amount, "[]")})


class _BoxContains(Func):
    """`box @> box`: GiST's box operator class answers it from the index (it has no `box @> point`)."""

    arg_joiner = " @> "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _point_box(latitude: float, longitude: float) -> Func:
    point = Func(
        Value(float(longitude), output_field=FloatField()),
        Value(float(latitude), output_field=FloatField()),
        function="point",
        output_field=geo.GeoPoint(),
    )
    return Func(point, point, function="box", output_field=geo.GeoBox())


def _distance_to_centre_km(latitude: float, longitude: float) -> Any:
    """The haversine distance (km) from each search's centre to the listing, as properties.geo measures it."""
    listing_lat = math.radians(latitude)
    centre_lat = Radians(F("near_latitude"))
    half_dlat = (Value(listing_lat) - centre_lat) / Value(2.0)
    half_dlng = (Value(math.radians(longitude)) - Radians(F("near_longitude"))) / Value(2.0)
    haversine = Power(Sin(half_dlat), 2) + Cos(centre_lat) * Value(math.cos(listing_lat)) * Power(
        Sin(half_dlng), 2
    )
    return Value(2 * geo.EARTH_RADIUS_KM) * ASin(Least(Sqrt(haversine), Value(1.0)))


def _where(listing: Property) -> Q:
    if listing.latitude is None or listing.longitude is None:
        return Q(area_box__isnull=True)
    spot = _point_box(listing.latitude, listing.longitude)
    inside = Q(_BoxContains(F("area_box"), spot)) | Q(_BoxContains(F("area_box_wrap"), spot))
    close_enough = Q(radius_km__isnull=True) | Q(
        radius_km__gte=_distance_to_centre_km(listing.latitude, listing.longitude)
    )
    return Q(area_box__isnull=True) | (inside & close_enough)


def listing_condition(listing: Property, *, with_status: bool = True) -> Q:
    """The searches whose criteria `listing` satisfies, as they stand now: one condition over SavedSearch
    columns with the listing's values as constants, so a single statement answers for every search."""
    condition = (
        Q(property_types__overlap=_offered(listing.property_type))
        & Q(listing_types__overlap=_offered(listing.listing_type))
        & Q(cities__overlap=_offered(_upper(listing.city)))
        & Q(regions__overlap=_offered(_upper(listing.region)))
        & Q(postal_code_prefixes__overlap=_offered(*_prefixes(listing.postal_code)))
        & Q(tags__overlap=_offered(*listing.tags))
        & Q(amenities__contained_by=list(listing.amenities))
        & (Q(currency="") | Q(currency=_upper(listing.currency)))
        & _within("price_range", listing.asking_price)
        & _within("rate_range", listing.lease_rate)
        & _within("area_sqm_range", listing.floor_area_sqm)
        & _within("bedrooms_range", listing.bedrooms)
        & (Q(listing_agent__isnull=True) | Q(listing_agent_id=listing.listing_agent_id))
        & _where(listing)
    )
    if with_status:
        condition &= Q(statuses__contains=[listing.status])
    return condition
