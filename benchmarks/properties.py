"""Listing search at scale: 100,000 listings in one org with 20 other orgs present.

Server-side cost of the three searches a map-and-list front end makes, through the whole stack in-process
(middleware, filters, serializers; Django's test client, no HTTP server): a geo radius search with two more
filters, the map's pins for a box holding about 500 located listings, and a full-text search. Each prints its
p50/p95, the queries it costs and the rows it returns, then the database's own time for the same SQL (EXPLAIN
ANALYZE) with the index it used.
Run: .venv/bin/python -m benchmarks.properties [--listings 100000] [--orgs 20] [--repeat 200]
"""

from __future__ import annotations

import argparse
import random
import re
import secrets
import time
from decimal import Decimal
from typing import Any

from benchmarks.harness import setup, summary, timed

ORG_SLUG = "bench-properties"
# City centres the listings are scattered around (within ~15 km), so a 5 km radius finds a realistic share.
CITIES = {
    "London": (51.5074, -0.1278), "Manchester": (53.4808, -2.2426), "Leeds": (53.8008, -1.5491),
    "Bristol": (51.4545, -2.5879), "Edinburgh": (55.9533, -3.1883), "Birmingham": (52.4862, -1.8904),
    "Glasgow": (55.8642, -4.2518), "Liverpool": (53.4084, -2.9916),
}  # fmt: skip
# Listing copy draws on a few hundred words (adjectives, features, places), so a two-word search matches a few
# hundred listings in 100,000, as it does in a real inventory, rather than a third of them.
ADJECTIVES = ["bright", "modern", "quiet", "spacious", "renovated", "period", "converted", "light", "airy", "grand",
              "compact", "elegant", "rustic", "contemporary", "secluded", "central", "detached", "refurbished",
              "historic", "stylish", "charming", "generous", "sunny", "leafy", "prime", "rare", "flexible",
              "striking", "classic", "open"]  # fmt: skip
FEATURES = ["loft", "warehouse", "garden", "terrace", "balcony", "courtyard", "mezzanine", "basement", "atrium",
            "rooftop", "studio", "suite", "workshop", "showroom", "yard", "conservatory", "cellar", "annex",
            "penthouse", "duplex", "cottage", "barn", "chapel", "mill", "lodge", "mews", "villa", "bungalow",
            "townhouse", "maisonette"]  # fmt: skip
PLACES = ["harbour", "riverside", "station", "square", "park", "canal", "quay", "market", "common", "green",
          "bridge", "cathedral", "castle", "university", "hospital", "high street", "docks", "wharf", "heath",
          "meadow", "valley", "hill", "crescent", "gardens", "priory", "abbey", "forge", "mint", "exchange",
          "arcade"]  # fmt: skip
TYPES = ["office", "retail", "industrial", "warehouse", "multifamily", "land", "hospitality", "mixed_use", "house",
         "apartment"]  # fmt: skip
INDEX_SCAN = re.compile(r"Index (?:Only )?Scan (?:using|on) (\S+)")
AMENITIES = ["parking", "elevator", "air_conditioning", "garden", "terrace", "concierge", "ev_charging", "gym"]


def _listing(org: Any, rng: random.Random, n: int) -> Any:
    from properties.models import AreaUnit, Property, square_metres

    city = rng.choice(list(CITIES))
    lat, lng = CITIES[city]
    area = Decimal(rng.randrange(30, 5000))
    adjective, feature, place = rng.choice(ADJECTIVES), rng.choice(FEATURES), rng.choice(PLACES)
    located = rng.random() > 0.05  # a few listings have no coordinates yet
    return Property(
        org=org, reference=f"B-{n:06d}", public_slug=f"bench-{n:06d}-{secrets.token_hex(3)}",
        title=f"{adjective.title()} {feature} by the {place} {n}",
        description=f"A {rng.choice(ADJECTIVES)} {rng.choice(TYPES).replace('_', ' ')} near the "
        f"{rng.choice(PLACES)}, with a {rng.choice(ADJECTIVES)} {rng.choice(FEATURES)}.",
        property_type=rng.choice(TYPES), listing_type=rng.choice(["sale", "lease", "both"]),
        status=rng.choices(["active", "draft", "under_contract", "sold"], weights=[70, 10, 10, 10])[0],
        city=city, postal_code=f"{city[:2].upper()}{rng.randrange(1, 30)} {rng.randrange(1, 9)}AB",
        latitude=lat + rng.uniform(-0.14, 0.14) if located else None,
        longitude=lng + rng.uniform(-0.22, 0.22) if located else None,
        floor_area=area, area_unit=AreaUnit.SQ_M, floor_area_sqm=square_metres(area, AreaUnit.SQ_M),
        asking_price=Decimal(rng.randrange(80, 20_000) * 1000), currency="GBP",
        bedrooms=rng.randrange(0, 6), amenities=sorted(rng.sample(AMENITIES, rng.randrange(0, 4))),
        is_published=rng.random() < 0.6,
    )  # fmt: skip


def _ensure_data(listings: int, other_orgs: int, fresh: bool) -> dict[str, Any]:
    from common.context import org_context
    from common.models import Profile, Role, User
    from properties.models import Property
    from tenants.models import Org
    from tenants.orgs.provisioning import org_create
    from tenants.testing.fixtures import access_token_for

    started = time.perf_counter()
    others = Org.objects.filter(slug__startswith="bench-other-").count()
    for n in range(others, other_orgs):
        org_create(name=f"Bench Other {n}", slug=f"bench-other-{n}")
    org = Org.objects.filter(slug=ORG_SLUG).first() or org_create(name="Bench Properties", slug=ORG_SLUG)
    user = User.objects.filter(email="properties@bench.test").first()
    if user is None:
        user = User.objects.create_user("properties@bench.test", secrets.token_urlsafe(16))
    Profile.objects.get_or_create(user=user, org=org, defaults={"role": Role.MANAGER})
    rng = random.Random(8)
    with org_context(org):
        if fresh:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE properties_property CASCADE")
        have = Property.objects.count()
        for start in range(have, listings, 5000):
            Property.objects.bulk_create(
                [_listing(org, rng, n) for n in range(start, min(start + 5000, listings))]
            )
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE properties_property")
        total = Property.objects.count()
    print(f"data: {total} listings in {ORG_SLUG}, {max(others, other_orgs)} other orgs "
          f"({time.perf_counter() - started:.0f} s to make)")  # fmt: skip
    return {"org": org, "token": access_token_for(user)}


def _client(token: str) -> Any:
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ORG=ORG_SLUG)


def _measure(client: Any, org: Any, label: str, path: str, params: dict[str, str], repeat: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(path, params)  # warm the membership cache and the plan cache
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    rows = len(body.get("results", body.get("pins", [])))
    with CaptureQueriesContext(connection) as captured:
        client.get(path, params)
    queries = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]
    samples = timed(lambda: client.get(path, params), repeat)
    print(f"{label:28} {summary(samples)}   queries {len(queries)}   rows {rows}")
    main = [sql for sql in queries if 'FROM "properties_property"' in sql and "COUNT(" not in sql.upper()]
    _explain(org, main[0])


def _explain(org: Any, sql: str) -> None:
    """The database's own time for the request's listing query, and which indexes it used."""
    from django.db import connection

    from common.context import org_context

    with org_context(org), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT TEXT) {sql}")
        plan = [row[0] for row in cursor.fetchall()]
    used = sorted({match.group(1) for line in plan if (match := INDEX_SCAN.search(line))})
    execution = next((line for line in plan if line.startswith("Execution Time")), "")
    print(f"{'':28} SQL {execution.lower()}   indexes: {', '.join(used) or 'none'}")


def _box_with_about(org: Any, pins: int) -> str:
    """A box around central London holding about `pins` located listings (grown until it does)."""
    from common.context import org_context
    from properties.models import Property

    lat, lng = CITIES["London"]
    half = 0.004
    with org_context(org):
        while True:
            box = (lat - half, lng - half * 1.6, lat + half, lng + half * 1.6)
            found = Property.objects.filter(
                latitude__gte=box[0], longitude__gte=box[1], latitude__lte=box[2], longitude__lte=box[3]
            ).count()
            if found >= pins:
                return ",".join(f"{value:.5f}" for value in box)
            half *= 1.15


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--fresh", action="store_true", help="Make the listings again (after a data change).")
    args = parser.parse_args()
    setup()
    data = _ensure_data(args.listings, args.orgs, args.fresh)
    client = _client(data["token"])
    lat, lng = CITIES["Leeds"]
    print(f"server-side, in-process, warm, {args.repeat} requests each:")
    _measure(client, data["org"], "geo radius + 2 filters", "/api/properties/",
             {"near": f"{lat},{lng}", "radius_km": "5", "type": "office", "price_max": "5000000"}, args.repeat)  # fmt: skip
    _measure(client, data["org"], "map pins, ~500 in the box", "/api/properties/pins/",
             {"bbox": _box_with_about(data["org"], 500)}, args.repeat)  # fmt: skip
    _measure(client, data["org"], "full text (2 words)", "/api/properties/", {"q": "loft harbour"}, args.repeat)
    _measure(client, data["org"], "list, first page", "/api/properties/", {}, args.repeat)


if __name__ == "__main__":
    main()
