"""Saved searches over the API, the matches of a search, who wants a listing, and the public unsubscribe link.
Thin: rules in properties.matching.services, reads in properties.matching.selectors."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.filtering import StrictFilterBackend
from properties import selectors as listings
from properties.matching import selectors, serializers, services
from properties.matching.filters import SavedSearchFilter
from properties.matching.models import SavedSearch
from tenants.pipeline.context import OrgViewMixin

_ERRORS = {
    400: OpenApiResponse(description="Field errors (criteria errors under `criteria.<name>`)."),
    403: OpenApiResponse(description="Not yours to change."),
    404: OpenApiResponse(description="Not found, or not visible to you."),
}


class _Scoped(OrgViewMixin, GenericAPIView):
    # Read by the schema generator only; every view reads through properties.matching.selectors.
    queryset = SavedSearch.all_orgs_unsafe.none()

    def paged(self, queryset: Any, serializer_class: Any) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)


class SavedSearchListView(_Scoped):
    serializer_class = serializers.SavedSearchSerializer
    filter_backends = [StrictFilterBackend]
    filterset_class = SavedSearchFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return SavedSearch.all_orgs_unsafe.none()
        return selectors.searches_visible(org=self.org, actor=self.actor).select_related("contact")

    @extend_schema(responses={200: serializers.SavedSearchSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """Your saved searches and the requirements of the contacts you see (owners, admins and managers: every
        search of the org), newest first."""
        return self.paged(self.filter_queryset(self.get_queryset()), serializers.SavedSearchSerializer)

    @extend_schema(
        request=serializers.SavedSearchWriteSerializer,
        responses={201: serializers.SavedSearchSerializer, **_ERRORS},
    )
    def post(self, request: Request) -> Response:
        """Save a search for yourself, or (with `contact`) a requirement of a contact you may change."""
        body = serializers.SavedSearchWriteSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        search = services.saved_search_create(org=self.org, actor=self.actor, data=dict(body.validated_data))
        return Response(serializers.SavedSearchSerializer(search).data, status=status.HTTP_201_CREATED)


class SavedSearchDetailView(_Scoped):
    serializer_class = serializers.SavedSearchSerializer

    @extend_schema(responses={200: serializers.SavedSearchSerializer, 404: _ERRORS[404]})
    def get(self, request: Request, search_id: Any) -> Response:
        search = selectors.search_visible(org=self.org, actor=self.actor, search_id=search_id)
        return Response(serializers.SavedSearchSerializer(search).data)

    @extend_schema(
        request=serializers.SavedSearchWriteSerializer,
        responses={200: serializers.SavedSearchSerializer, **_ERRORS},
    )
    def patch(self, request: Request, search_id: Any) -> Response:
        # 404, then 403, before the body is judged; the service asks again under the row lock.
        services.search_write_check(
            self.actor, selectors.search_visible(org=self.org, actor=self.actor, search_id=search_id)
        )
        body = serializers.SavedSearchWriteSerializer(
            data=request.data, partial=True, context={"request": request}
        )
        body.is_valid(raise_exception=True)
        search = services.saved_search_update(
            org=self.org, actor=self.actor, search_id=search_id, data=dict(body.validated_data)
        )
        return Response(serializers.SavedSearchSerializer(search).data)

    @extend_schema(responses={204: None, 403: _ERRORS[403], 404: _ERRORS[404]})
    def delete(self, request: Request, search_id: Any) -> Response:
        services.saved_search_delete(org=self.org, actor=self.actor, search_id=search_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SavedSearchMatchesView(_Scoped):
    serializer_class = serializers.ListingMatchSerializer
    filter_backends: list[Any] = []  # a fixed order, no filters: nothing to document but the pages

    @extend_schema(responses={200: serializers.ListingMatchSerializer(many=True), 404: _ERRORS[404]})
    def get(self, request: Request, search_id: Any) -> Response:
        """The listings this search was told about, the latest first, with when and why."""
        search = selectors.search_visible(org=self.org, actor=self.actor, search_id=search_id)
        matched = selectors.listings_matched(org=self.org, search=search)
        return self.paged(matched, serializers.ListingMatchSerializer)


class ContactRequirementsView(_Scoped):
    serializer_class = serializers.SavedSearchSerializer
    filter_backends: list[Any] = []  # a fixed order, no filters: nothing to document but the pages

    @extend_schema(responses={200: serializers.SavedSearchSerializer(many=True), 404: _ERRORS[404]})
    def get(self, request: Request, contact_id: Any) -> Response:
        """A contact's requirements (add one with `POST /api/saved-searches/` and `contact`)."""
        contact = selectors.contact_visible(org=self.org, actor=self.actor, contact_id=contact_id)
        requirements = selectors.requirements_of(org=self.org, contact=contact).select_related("contact")
        return self.paged(requirements, serializers.SavedSearchSerializer)


class ListingInterestView(_Scoped):
    serializer_class = serializers.InterestedSearchSerializer
    filter_backends: list[Any] = []  # a fixed order, no filters: nothing to document but the pages

    @extend_schema(responses={200: serializers.InterestedSearchSerializer(many=True), 404: _ERRORS[404]})
    def get(self, request: Request, property_id: Any) -> Response:
        """Who wants this listing: the saved searches and requirements you see whose criteria it satisfies now
        (its status aside, so it can be asked before a launch), and when each was last told about it."""
        listing = listings.property_visible(org=self.org, actor=self.actor, property_id=property_id)
        wanting = selectors.searches_for_listing(org=self.org, actor=self.actor, listing=listing)
        return self.paged(wanting, serializers.InterestedSearchSerializer)


class UnsubscribeView(APIView):
    """Public: the link in every saved-search email. The signed token is the credential; no login."""

    authentication_classes: list[type] = []

    @extend_schema(
        responses={
            200: serializers.UnsubscribedSerializer,
            400: OpenApiResponse(description="The link was altered (`invalid_token`)."),
            404: OpenApiResponse(description="The saved search no longer exists."),
        },
        auth=[],
    )
    def get(self, request: Request, token: str) -> Response:
        """Turn this saved search's emails off (what a click on the link does; doing it twice changes nothing)."""
        return Response(serializers.unsubscribed(services.saved_search_unsubscribe(token=token)))

    @extend_schema(
        request=None,
        responses={
            200: serializers.UnsubscribedSerializer,
            400: OpenApiResponse(description="The link was altered (`invalid_token`)."),
            404: OpenApiResponse(description="The saved search no longer exists."),
        },
        auth=[],
    )
    def post(self, request: Request, token: str) -> Response:
        """The same, for mail clients' one-click unsubscribe (RFC 8058)."""
        return Response(serializers.unsubscribed(services.saved_search_unsubscribe(token=token)))
