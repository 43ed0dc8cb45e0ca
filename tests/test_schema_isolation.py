"""Requests for org A then org B on one connection: each sees only its own schema, then public again."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from common.access import ALL_ROLES, RouteAccess, Scope
from common.context import org_context
from common.registry import route_table
from tenants.testing.fixtures import Cast, client_for
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db


class _ActivityProbeView(APIView):
    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            (schema,) = cursor.fetchone()
        verbs = sorted(ActivityEntry.all_orgs_unsafe.values_list("verb", flat=True))
        return Response({"schema": schema, "verbs": verbs, "scoped": ActivityEntry.objects.count()})


urlpatterns = [
    path("", include("crm.urls")),
    path("api/probe/activity/", _ActivityProbeView.as_view(), name="probe-activity"),
]


@pytest.fixture
def probe_route(monkeypatch):
    monkeypatch.setitem(route_table(), "probe-activity", RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}))


@pytest.mark.urls(__name__)
def test_consecutive_requests_for_two_orgs_each_see_only_their_own_schema(cast: Cast, probe_route) -> None:
    with org_context(cast.org_a):
        ActivityEntry.objects.create(verb="alpha-only", target_type="probe", target_id=uuid.uuid4())
    with org_context(cast.org_b):
        ActivityEntry.objects.create(verb="bravo-only", target_type="probe", target_id=uuid.uuid4())

    first = client_for(cast.owner).get("/api/probe/activity/")
    assert connection.schema_name == "public"
    second = client_for(cast.other_owner).get("/api/probe/activity/")
    assert connection.schema_name == "public"

    assert first.json() == {"schema": cast.org_a.schema_name, "verbs": ["alpha-only"], "scoped": 1}
    assert second.json() == {"schema": cast.org_b.schema_name, "verbs": ["bravo-only"], "scoped": 1}
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        assert cursor.fetchone() == ("public",)


@pytest.mark.urls(__name__)
def test_connection_returns_to_public_when_the_view_crashes(cast: Cast, probe_route, monkeypatch) -> None:
    def explode(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(_ActivityProbeView, "get", explode)

    response = client_for(cast.owner).get("/api/probe/activity/")

    assert response.status_code == 500
    assert response.json() == {
        "code": "server_error",
        "detail": "Something went wrong on our side. It has been logged.",
        "fields": {},
    }
    assert connection.schema_name == "public"
