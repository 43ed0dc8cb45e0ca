"""The listing searches are served by their indexes: the GiST point index for near and bbox, the GIN tsvector
index for full text, and the partial list index for the default page."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.context import org_context
from properties.models import Property
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import plan_with_sequential_scans_off

pytestmark = pytest.mark.django_db

WORDS = ["bright", "spacious", "modern", "period", "corner", "quiet", "central", "renovated", "open-plan"]


@pytest.fixture
def many(cast: Cast) -> None:
    """5,000 listings spread over the world, so a local search reads a small part of the table."""
    rng = random.Random(7)
    with org_context(cast.org_a):
        Property.objects.bulk_create(
            [
                Property(
                    org=cast.org_a, title=f"{rng.choice(WORDS).title()} unit {n}", property_type="office",
                    description=" ".join(rng.sample(WORDS, 4)), city="Springfield",
                    latitude=rng.uniform(-60, 70), longitude=rng.uniform(-180, 180),
                )
                for n in range(5000)
            ]
        )  # fmt: skip
        Property.objects.create(
            org=cast.org_a,
            title="Lighthouse keeper's cottage",
            property_type="house",
            latitude=50.2,
            longitude=-5.0,
        )


def _page_query_of(cast: Cast, params: dict[str, str]) -> str:
    """The SQL the list ran for its page (not the count). Something must match, or the page is not read."""
    with CaptureQueriesContext(connection) as captured:
        response = client_for(cast.owner).get("/api/properties/", params)
    assert response.status_code == 200, response.json()
    assert response.json()["count"] >= 1
    pages = [
        q["sql"]
        for q in captured.captured_queries
        if '"properties_property"' in q["sql"] and " ORDER BY " in q["sql"] and "COUNT(" not in q["sql"]
    ]
    assert len(pages) == 1, pages
    return pages[0]


def _plan(cast: Cast, sql: str) -> str:
    with org_context(cast.org_a), connection.cursor() as cursor:
        # Fresh rows wait in each GIN index's pending list, which the planner prices as a full read: merge them
        # in, and give the planner real statistics, as autovacuum would on a live table.
        cursor.execute(
            "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = 'properties_property'::regclass"
            " AND a.amname = 'gin'"
        )
        cursor.execute("ANALYZE properties_property")
        # As in contacts' index tests: with sequential scans off the planner has to show which index answers.
        return plan_with_sequential_scans_off(cursor, sql)


def _indexes_used(plan: str) -> set[str]:
    return set(
        re.findall(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan) (?:Backward )?(?:using|on) (\w+)", plan)
    )


@pytest.mark.parametrize(
    "params",
    [
        {"near": "50.2,-5.0", "radius_km": "50"},
        {"bbox": "49.9,-5.5,50.5,-4.5"},
        {"near": "0,179.9", "radius_km": "200"},  # a box split at the antimeridian
    ],
)
def test_geo_searches_prefilter_through_the_gist_point_index(
    cast: Cast, many: Any, params: dict[str, str]
) -> None:
    if params.get("near") == "0,179.9":
        with org_context(cast.org_a):
            Property.objects.create(
                org=cast.org_a, title="Date line", property_type="land", latitude=0.1, longitude=-179.95
            )
    plan = _plan(cast, _page_query_of(cast, params))

    assert "property_location_gist" in _indexes_used(plan), plan
    assert "Seq Scan" not in plan, plan


def test_full_text_search_uses_the_gin_tsvector_index(cast: Cast, many: Any) -> None:
    plan = _plan(cast, _page_query_of(cast, {"q": "lighthouse cottage"}))

    assert "property_search_gin" in _indexes_used(plan), plan
    assert "Seq Scan" not in plan, plan


def test_the_default_list_page_reads_the_list_index_in_order(cast: Cast, many: Any) -> None:
    plan = _plan(cast, _page_query_of(cast, {}))

    assert _indexes_used(plan) == {"properties_property_list"}, plan
    assert "Sort" not in plan, plan
