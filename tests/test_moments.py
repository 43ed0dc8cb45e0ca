"""A moment in a filter is read as an instant: an unusual but legal UTC offset finds the same rows as its UTC
form, and one PostgreSQL could not store is the filter's 400, never a 500 (schemathesis found both)."""

from __future__ import annotations

import pytest

from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db
ROUTES = ["/api/leads/", "/api/contacts/", "/api/deals/", "/api/cases/", "/api/tasks/"]


@pytest.mark.parametrize("route", ROUTES)
def test_an_unusual_offset_is_the_same_instant(cast: Cast, route: str) -> None:
    client = client_for(cast.owner)
    created = client.post("/api/contacts/", {"first_name": "Ada"}, format="json")
    assert created.status_code == 201

    odd = client.get(route, {"updated_before": "0104-02-25T22:59:02.50+20:51"})
    far = client.get(route, {"updated_after": "2000-01-01T20:51:00+20:51"})

    assert (odd.status_code, odd.json()["count"]) == (200, 0)
    assert far.status_code == 200


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+20:00", "2026-02-30T00:00:00Z", "yesterday"])
def test_a_moment_that_cannot_be_stored_or_read_is_the_filters_400(cast: Cast, value: str) -> None:
    response = client_for(cast.owner).get("/api/leads/", {"updated_before": value})

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "updated_before": [{"code": "invalid", "detail": "Enter a valid date/time."}]
    }


def test_a_timeline_filter_reads_moments_the_same_way(cast: Cast) -> None:
    response = client_for(cast.owner).get("/api/notifications/", {"created_after": "0104-02-25T22:59:02.50+20:51"})

    assert response.status_code == 200
