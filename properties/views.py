"""Listings over the API: the shared record viewset plus price history, and the spaces of a listing. Thin: the
rules live in properties.services, the reads in properties.selectors and properties.filters."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.filtering import StrictFilterBackend
from common.search import SearchFilter
from properties import filters, selectors, serializers, services
from properties.media.selectors import cover_image_prefetch
from properties.models import Property
from records.filters import RankedOrderingFilter
from records.viewsets import RecordViewSet
from tenants.pipeline.context import OrgViewMixin, org_request


class PropertyViewSet(RecordViewSet[Property]):
    model = Property
    serializer_class = serializers.PropertySerializer
    filterset_class = filters.PropertyFilter
    filter_backends = [StrictFilterBackend, SearchFilter, RankedOrderingFilter]
    search_fields = ["reference", "~title"]  # both trigram-indexed; `?q=` is the full-text search
    ordering_fields = ["title", "reference", "status", "property_type", "asking_price", "lease_rate",
                       "floor_area_sqm", "bedrooms", "year_built", "city", "created_at", "updated_at"]  # fmt: skip
    # Every bulk change goes through property_change: status rules and write rights hold per listing.
    bulk_fields = ("status", "tags", "assigned_to", "listing_agent", "is_published")

    list_like_actions = ("pins",)

    def narrow_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action == "pins":
            return queryset  # the lightest rows: no cover
        return queryset.prefetch_related(cover_image_prefetch())  # one query for a whole page's covers

    def create_record(self, data: dict[str, Any]) -> Property:
        return services.property_create(org=self.org, actor=self.actor, data=data)

    def change_record(self, *, org: Any, actor: Any, record: Property, data: dict[str, Any]) -> None:
        services.property_change(org=org, actor=actor, record=record, data=data)

    def validated_bulk_changes(self, raw: dict[str, Any]) -> dict[str, Any]:
        changes = super().validated_bulk_changes(raw)
        if "listing_agent" in raw:
            # The serializer files the agent under its source, `listing_agent_id`, which the kernel does not keep.
            serializer = cast(serializers.PropertySerializer, self.get_serializer())
            changes["listing_agent_id"] = serializer.fields["listing_agent"].run_validation(raw["listing_agent"])
        return changes

    @extend_schema(filters=True, responses={200: serializers.PinsSerializer})
    @action(detail=False, methods=["get"], pagination_class=None)
    def pins(self, request: Request) -> Response:
        """Map pins: the listings the same search finds (with `bbox` for the map's view), located ones only, up to
        500 (PROPERTY_MAP_PINS) in the list's order with the fewest fields a map needs; `truncated` says there
        were more (zoom in)."""
        located = self.filter_queryset(self.get_queryset()).filter(latitude__isnull=False)
        limit = settings.PROPERTY_MAP_PINS
        rows = list(located.values(*serializers.PIN_FIELDS)[: limit + 1])
        body = {"truncated": len(rows) > limit, "pins": rows[:limit]}
        return Response(serializers.PinsSerializer(body).data)

    @extend_schema(responses={200: serializers.PriceChangeSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="price-history", filter_backends=[], pagination_class=None)
    def price_history(self, request: Request, pk: Any = None) -> Response:
        """Every change of the asking price and lease rate, newest first (one page: a listing's price changes
        a handful of times); `is_drop` marks a lower amount in the same currency."""
        changes = selectors.price_history(org=self.org, listing=self.get_object())
        return Response(serializers.PriceChangeSerializer(changes, many=True).data)


def _listing(request: Request, property_id: Any) -> Property:
    """The listing a space route is under: a listing the caller cannot see is a 404 before anything else."""
    caller = org_request(request)
    return selectors.property_visible(org=caller.org, actor=caller.profile, property_id=property_id)


class PropertySpacesView(OrgViewMixin, APIView):
    @extend_schema(responses={200: serializers.SpaceSerializer(many=True)})
    def get(self, request: Request, property_id: Any) -> Response:
        """The listing's spaces, by floor and name."""
        spaces = selectors.spaces_of(org=self.org, listing=_listing(request, property_id))
        return Response(serializers.SpaceSerializer(spaces, many=True).data)

    @extend_schema(request=serializers.SpaceSerializer, responses={201: serializers.SpaceSerializer})
    def post(self, request: Request, property_id: Any) -> Response:
        _listing(request, property_id)  # a listing the caller cannot see is a 404 before the body is looked at
        body = serializers.SpaceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        space = services.space_create(
            org=self.org, actor=self.actor, property_id=property_id, data=dict(body.validated_data)
        )
        return Response(serializers.SpaceSerializer(space).data, status=status.HTTP_201_CREATED)


class PropertySpaceDetailView(OrgViewMixin, APIView):
    @extend_schema(responses={200: serializers.SpaceSerializer})
    def get(self, request: Request, property_id: Any, space_id: Any) -> Response:
        space = selectors.space_of(org=self.org, listing=_listing(request, property_id), space_id=space_id)
        return Response(serializers.SpaceSerializer(space).data)

    @extend_schema(request=serializers.SpaceSerializer, responses={200: serializers.SpaceSerializer})
    def patch(self, request: Request, property_id: Any, space_id: Any) -> Response:
        selectors.space_of(org=self.org, listing=_listing(request, property_id), space_id=space_id)
        body = serializers.SpaceSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        space = services.space_update(
            org=self.org,
            actor=self.actor,
            property_id=property_id,
            space_id=space_id,
            data=dict(body.validated_data),
        )
        return Response(serializers.SpaceSerializer(space).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, property_id: Any, space_id: Any) -> Response:
        services.space_delete(org=self.org, actor=self.actor, property_id=property_id, space_id=space_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
