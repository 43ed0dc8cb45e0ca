"""Routes of outbound webhooks, with their rows of the authorization table: admins only (the endpoints' secrets
and every event's payload are there)."""

from django.urls import path

from common.access import ADMINS, RouteAccess, Scope
from webhooks import views

ENDPOINT = "webhooks/endpoints/<uuid:endpoint_id>"
DELIVERY = "webhooks/deliveries/<uuid:delivery_id>"

urlpatterns = [
    path("webhooks/event-types/", views.EventTypesView.as_view(), name="webhook-event-types"),
    path("webhooks/endpoints/", views.EndpointsView.as_view(), name="webhook-endpoints"),
    path(f"{ENDPOINT}/", views.EndpointDetailView.as_view(), name="webhook-endpoint-detail"),
    path(f"{ENDPOINT}/rotate-secret/", views.EndpointRotateSecretView.as_view(), name="webhook-endpoint-rotate"),
    path(f"{ENDPOINT}/test/", views.EndpointTestView.as_view(), name="webhook-endpoint-test"),
    path(f"{ENDPOINT}/deliveries/", views.EndpointDeliveriesView.as_view(), name="webhook-endpoint-deliveries"),
    path(f"{DELIVERY}/", views.DeliveryDetailView.as_view(), name="webhook-delivery-detail"),
    path(f"{DELIVERY}/redeliver/", views.DeliveryRedeliverView.as_view(), name="webhook-delivery-redeliver"),
]

ROUTES = {
    "webhook-event-types": RouteAccess(Scope.TENANT, {"GET": ADMINS}),
    "webhook-endpoints": RouteAccess(Scope.TENANT, {"GET": ADMINS, "POST": ADMINS}),
    "webhook-endpoint-detail": RouteAccess(Scope.TENANT, {"GET": ADMINS, "PATCH": ADMINS, "DELETE": ADMINS}),
    "webhook-endpoint-rotate": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "webhook-endpoint-test": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "webhook-endpoint-deliveries": RouteAccess(Scope.TENANT, {"GET": ADMINS}),
    "webhook-delivery-detail": RouteAccess(Scope.TENANT, {"GET": ADMINS}),
    "webhook-delivery-redeliver": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
}
