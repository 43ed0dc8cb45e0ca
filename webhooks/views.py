"""Outbound webhooks over the API (admins): endpoints, their deliveries and attempts, redelivery, test events
and the event catalog. Thin: the rules are in the services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import ApiError
from tenants.pipeline.context import OrgViewMixin
from webhooks import events, selectors, services
from webhooks import serializers as s
from webhooks.models import DeliveryState

NO_CONTENT = OpenApiResponse(description="Done; no content.")
E400 = OpenApiResponse(description="Field errors (a URL that may not receive webhooks is `url_not_allowed`).")
E404 = OpenApiResponse(description="No such thing in this org.")
E409 = OpenApiResponse(description="Not in a state that allows this (the code says why).")


class _WebhookView(OrgViewMixin, GenericAPIView):
    filter_backends: list[Any] = []

    def body(self, serializer_class: type[drf.Serializer], *, partial: bool = False) -> dict[str, Any]:
        s.strict(self.request.data, serializer_class)
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


class EventTypesView(_WebhookView):
    @extend_schema(responses={200: s.EventTypesSerializer})
    def get(self, request: Request) -> Response:
        """Every event type an endpoint can subscribe to."""
        return Response({"event_types": events.event_catalog()})


class EndpointsView(_WebhookView):
    serializer_class = s.EndpointSerializer

    @extend_schema(responses={200: s.EndpointSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The org's webhook endpoints, oldest first."""
        page = self.paginate_queryset(selectors.endpoints_of(org=self.org))
        return self.get_paginated_response(s.EndpointSerializer(page, many=True).data)

    @extend_schema(request=s.EndpointSerializer, responses={201: s.EndpointSerializer, 400: E400, 409: E409})
    def post(self, request: Request) -> Response:
        """Register an endpoint for some event types; the answer holds its signing secret."""
        data = self.body(s.EndpointSerializer)
        endpoint = services.endpoint_create(org=self.org, actor=self.actor, data=data)
        return Response(s.EndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointDetailView(_WebhookView):
    @extend_schema(responses={200: s.EndpointSerializer, 404: E404})
    def get(self, request: Request, endpoint_id: Any) -> Response:
        endpoint = selectors.endpoint_of(org=self.org, endpoint_id=endpoint_id)
        return Response(s.EndpointSerializer(endpoint).data)

    @extend_schema(request=s.EndpointChangeSerializer, responses={200: s.EndpointSerializer, 400: E400, 404: E404})
    def patch(self, request: Request, endpoint_id: Any) -> Response:
        """Change the URL, description or events, or enable (`is_active`: true) / pause it."""
        data = self.body(s.EndpointChangeSerializer)
        endpoint = services.endpoint_update(org=self.org, actor=self.actor, endpoint_id=endpoint_id, data=data)
        return Response(s.EndpointSerializer(endpoint).data)

    @extend_schema(responses={204: NO_CONTENT, 404: E404})
    def delete(self, request: Request, endpoint_id: Any) -> Response:
        services.endpoint_delete(org=self.org, actor=self.actor, endpoint_id=endpoint_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointRotateSecretView(_WebhookView):
    @extend_schema(request=None, responses={200: s.EndpointSerializer, 404: E404})
    def post(self, request: Request, endpoint_id: Any) -> Response:
        """A new signing secret; the old one keeps signing (a second signature) until the overlap ends."""
        endpoint = services.endpoint_rotate_secret(org=self.org, actor=self.actor, endpoint_id=endpoint_id)
        return Response(s.EndpointSerializer(endpoint).data)


class EndpointTestView(_WebhookView):
    @extend_schema(request=None, responses={202: s.DeliverySerializer, 404: E404, 409: E409})
    def post(self, request: Request, endpoint_id: Any) -> Response:
        """Queue a `webhook.test` event for this endpoint."""
        delivery = services.endpoint_send_test(org=self.org, actor=self.actor, endpoint_id=endpoint_id)
        found = selectors.delivery_of(org=self.org, delivery_id=delivery.pk)
        return Response(s.DeliverySerializer(found).data, status=status.HTTP_202_ACCEPTED)


class EndpointDeliveriesView(_WebhookView):
    serializer_class = s.DeliverySerializer

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=DeliveryState.values)],
        responses={200: s.DeliverySerializer(many=True), 400: E400, 404: E404},
    )
    def get(self, request: Request, endpoint_id: Any) -> Response:
        """The endpoint's delivery log, newest first, each with its attempts."""
        endpoint = selectors.endpoint_of(org=self.org, endpoint_id=endpoint_id)
        state = request.query_params.get("state")
        if state and state not in DeliveryState.values:
            raise ApiError(
                "Unknown state.",
                code="invalid",
                fields={"state": [{"code": "invalid_choice", "detail": "Unknown state."}]},
            )
        page = self.paginate_queryset(selectors.deliveries_of(org=self.org, endpoint=endpoint, state=state))
        return self.get_paginated_response(s.DeliverySerializer(page, many=True).data)


class DeliveryDetailView(_WebhookView):
    @extend_schema(responses={200: s.DeliverySerializer, 404: E404})
    def get(self, request: Request, delivery_id: Any) -> Response:
        delivery = selectors.delivery_of(org=self.org, delivery_id=delivery_id)
        return Response(s.DeliverySerializer(delivery).data)


class DeliveryRedeliverView(_WebhookView):
    @extend_schema(request=None, responses={202: s.DeliverySerializer, 404: E404, 409: E409})
    def post(self, request: Request, delivery_id: Any) -> Response:
        """Send the same event again (same `webhook-id`) to the same endpoint."""
        delivery = services.delivery_redeliver(org=self.org, actor=self.actor, delivery_id=delivery_id)
        found = selectors.delivery_of(org=self.org, delivery_id=delivery.pk)
        return Response(s.DeliverySerializer(found).data, status=status.HTTP_202_ACCEPTED)
