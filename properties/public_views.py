"""The public listing API for an agency's website: no user, no org header, the org by slug in the URL.

Published, live listings only; the fields a portal shows and nothing the agency keeps to itself (the agent, the
owner and landlord, tags, custom fields, NOI unless the listing says it is public).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import F, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import field_error
from common.filtering import StrictFilterBackend, strictly_filtered
from common.pagination import PageNumberPagination
from common.validation import validated
from properties.media.selectors import public_galleries_of
from properties.models import Property, PropertyType, Space
from properties.public import GuidedAnswers, Intent, PublicPropertyFilter, guided_search, published_listing
from properties.public import published_listings as published
from tenants.pipeline.public import PublicOrgView

# Newest first unless the visitor sorts by price or size; a listing without the figure sorts last either way.
PUBLIC_ORDERINGS = {
    "newest": (F("created_at").desc(), F("id").desc()),
    "price": (F("asking_price").asc(nulls_last=True), F("id").asc()),
    "-price": (F("asking_price").desc(nulls_last=True), F("id").asc()),
    "rate": (F("lease_rate").asc(nulls_last=True), F("id").asc()),
    "-rate": (F("lease_rate").desc(nulls_last=True), F("id").asc()),
    "area": (F("floor_area_sqm").asc(nulls_last=True), F("id").asc()),
    "-area": (F("floor_area_sqm").desc(nulls_last=True), F("id").asc()),
}

_NOT_FOUND = OpenApiResponse(description="No such org, or no such published listing (`not_found`).")


class PublicSpaceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Space
        fields = ["name", "floor", "size", "size_unit", "size_sqm", "rate", "rate_period", "rate_basis",
                  "available_from"]  # fmt: skip
        read_only_fields = fields


class PublicVariantSerializer(serializers.Serializer):
    url = serializers.URLField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class PublicImageSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    is_cover = serializers.BooleanField()
    caption = serializers.CharField()
    alt_text = serializers.CharField()
    variants = serializers.DictField(
        child=PublicVariantSerializer(), help_text="thumbnail, medium, large (WebP), and enhanced ones if made."
    )


class PublicListingSerializer(serializers.ModelSerializer):
    """A listing as a website shows it; `slug` is its public address. The views put the page's galleries in the
    context (`galleries`: listing id -> public images, one query for the page)."""

    slug = serializers.CharField(source="public_slug", read_only=True)
    cover = serializers.SerializerMethodField(help_text="The first image of the gallery, or null.")
    noi = serializers.SerializerMethodField(help_text="Shown only when the agency makes it public; else null.")
    distance_km = serializers.SerializerMethodField(help_text="With `near`: the great-circle distance; else null.")
    spaces = PublicSpaceSerializer(source="public_spaces", many=True, read_only=True)

    class Meta:
        model = Property
        fields = [
            "slug", "reference", "title", "property_type", "listing_type", "status", "street", "city", "region",
            "postal_code", "country", "latitude", "longitude", "distance_km", "floor_area", "area_unit",
            "floor_area_sqm", "lot_size", "lot_size_unit", "year_built", "floors", "units", "bedrooms",
            "bathrooms", "asking_price", "lease_rate", "lease_rate_period", "lease_rate_basis", "currency",
            "cap_rate", "noi", "parking_spaces", "amenities", "description", "highlights", "spaces", "cover",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(PublicImageSerializer(allow_null=True))
    def get_cover(self, listing: Property) -> Any:
        gallery = self.context["galleries"].get(listing.pk) or []
        return PublicImageSerializer(gallery[0]).data if gallery else None

    def get_noi(self, listing: Property) -> str | None:
        return str(listing.noi) if listing.noi_is_public and listing.noi is not None else None

    def get_distance_km(self, listing: Property) -> float | None:
        distance = getattr(listing, "distance_km", None)
        return round(distance, 3) if distance is not None else None


class PublicListingDetailSerializer(PublicListingSerializer):
    images = serializers.SerializerMethodField(help_text="The whole gallery, in order; the cover first.")

    class Meta(PublicListingSerializer.Meta):
        fields = [*PublicListingSerializer.Meta.fields, "images"]
        read_only_fields = fields

    @extend_schema_field(PublicImageSerializer(many=True))
    def get_images(self, listing: Property) -> Any:
        return PublicImageSerializer(self.context["galleries"].get(listing.pk) or [], many=True).data


def _shown(org: Any, listings: Any, serializer: type[PublicListingSerializer], many: bool = True) -> Any:
    rows = list(listings) if many else [listings]
    galleries = public_galleries_of(org=org, listings=rows)
    return serializer(listings, many=many, context={"galleries": galleries}).data


class GuidedSearchSerializer(serializers.Serializer):
    intent = serializers.ChoiceField(choices=Intent.CHOICES, help_text="buy, or rent (rent and lease).")
    budget = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("1"),
        help_text="The most to pay: a price to buy, a monthly rent to rent.",
    )  # fmt: skip
    area = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="City, region or postcode."
    )
    type = serializers.ChoiceField(choices=PropertyType.choices, required=False, allow_blank=True)


def _ordered(listings: QuerySet[Property], ordering: str | None, searched: bool) -> QuerySet[Property]:
    if ordering is None:
        return listings if searched else listings.order_by(*PUBLIC_ORDERINGS["newest"])
    if ordering not in PUBLIC_ORDERINGS:
        raise field_error("ordering", "invalid_choice", f"Sort by one of: {', '.join(PUBLIC_ORDERINGS)}.")
    return listings.order_by(*PUBLIC_ORDERINGS[ordering])


class PublicListingListView(PublicOrgView):
    # For the schema's parameters only: `get` runs the search itself, in the org the URL names.
    queryset = Property.all_orgs_unsafe.none()
    filter_backends = [StrictFilterBackend]
    filterset_class = PublicPropertyFilter
    pagination_class = PageNumberPagination

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "ordering", OpenApiTypes.STR, enum=list(PUBLIC_ORDERINGS), description="Newest first."
            ),
        ],
        responses={
            200: PublicListingSerializer(many=True),
            400: OpenApiResponse(description="A filter is malformed or out of range."),
            404: _NOT_FOUND,
        },
        auth=[],
        filters=True,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        """The org's published listings, with the same search as the member list (type, status, price and area
        ranges, amenities, city, `q`, `near` + `radius_km`, `bbox`, spaces)."""
        search = PublicPropertyFilter(
            request.query_params, queryset=published(self.public_org), org=self.public_org
        )
        searched = bool(request.query_params.get("q") or request.query_params.get("near"))
        listings = _ordered(strictly_filtered(search, request), request.query_params.get("ordering"), searched)
        pages, org = self.pagination_class(), self.public_org
        page = pages.paginate_queryset(listings, request, view=self)
        return pages.get_paginated_response(_shown(org, page, PublicListingSerializer))


class PublicListingDetailView(PublicOrgView):
    @extend_schema(responses={200: PublicListingDetailSerializer, 404: _NOT_FOUND}, auth=[])
    def get(self, request: Request, org_slug: str, slug: str) -> Response:
        """One published listing by its public slug, with its gallery and available spaces."""
        listing = published_listing(self.public_org, slug)
        return Response(_shown(self.public_org, listing, PublicListingDetailSerializer, many=False))


class PublicGuidedSearchView(PublicOrgView):
    @extend_schema(
        parameters=[GuidedSearchSerializer],
        responses={200: PublicListingSerializer(many=True), 400: OpenApiResponse(description="Field errors.")},
        auth=[],
    )
    def get(self, request: Request, org_slug: str) -> Response:
        """Three answers (buy or rent; a budget; an area or a type) give up to 20 listings: within budget first,
        then up to 10% over, closest to the budget first."""
        answers = validated(GuidedSearchSerializer, request.query_params)
        listings = guided_search(
            self.public_org,
            GuidedAnswers(
                intent=answers["intent"],
                budget=answers["budget"],
                area=answers.get("area", ""),
                property_type=answers.get("type", ""),
            ),
        )
        return Response(_shown(self.public_org, listings, PublicListingSerializer))
