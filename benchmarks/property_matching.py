"""Saved-search matching at scale: one new listing against 10,000 saved searches of one org.

Measures the matching statement alone (INSERT ... SELECT ... ON CONFLICT DO NOTHING, what the target is about)
and the whole job (the statement, then in-app notifications and instant emails queued for what it matched), for
listings that a few, and that many, searches want. Each sample runs in a transaction that is rolled back, so
every sample matches a fresh event against the same 10,000 searches. Also prints PostgreSQL's own execution
time (EXPLAIN ANALYZE) and the plan's shape.
Run: .venv/bin/python -m benchmarks.property_matching [--searches 10000] [--repeat 50]
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import time
from typing import Any

from benchmarks.harness import setup, summary

ORG_SLUG = "bench-matching"
TARGET_MS = 200.0
# (city, region, postal code start, latitude, longitude)
CITIES = [
    ("London", "Greater London", "EC2A", 51.5074, -0.1278), ("Manchester", "Greater Manchester", "M1", 53.4808, -2.2426),
    ("Leeds", "West Yorkshire", "LS1", 53.8008, -1.5491), ("Bristol", "Bristol", "BS1", 51.4545, -2.5879),
    ("Birmingham", "West Midlands", "B1", 52.4862, -1.8904), ("Glasgow", "Scotland", "G1", 55.8642, -4.2518),
    ("Edinburgh", "Scotland", "EH1", 55.9533, -3.1883), ("Liverpool", "Merseyside", "L1", 53.4084, -2.9916),
    ("Newcastle", "Tyne and Wear", "NE1", 54.9783, -1.6178), ("Sheffield", "South Yorkshire", "S1", 53.3811, -1.4701),
    ("Cardiff", "Wales", "CF10", 51.4816, -3.1791), ("Nottingham", "Nottinghamshire", "NG1", 52.9548, -1.1581),
    ("Berlin", "Berlin", "101", 52.5200, 13.4050), ("Amsterdam", "North Holland", "1011", 52.3676, 4.9041),
    ("Paris", "Ile-de-France", "750", 48.8566, 2.3522), ("Madrid", "Madrid", "280", 40.4168, -3.7038),
    ("New York", "NY", "100", 40.7128, -74.0060), ("Austin", "TX", "787", 30.2672, -97.7431),
    ("Toronto", "ON", "M5V", 43.6532, -79.3832), ("Sydney", "NSW", "2000", -33.8688, 151.2093),
]  # fmt: skip
TYPES = ["house", "apartment", "office", "retail", "warehouse", "industrial", "land"]
AMENITIES = ["parking", "garden", "balcony", "elevator", "air_conditioning", "gym", "storage", "terrace"]


def _criteria(rng: random.Random) -> dict[str, Any]:
    city, region, postcode, lat, lng = rng.choice(CITIES)
    raw: dict[str, Any] = {}
    where = rng.random()
    if where < 0.55:
        raw["city"] = [city] + ([rng.choice(CITIES)[0]] if rng.random() < 0.2 else [])
    elif where < 0.80:
        raw["near"], raw["radius_km"] = (
            f"{lat + rng.uniform(-0.05, 0.05)},{lng + rng.uniform(-0.05, 0.05)}",
            rng.choice([3, 5, 10, 25]),
        )
    elif where < 0.85:
        raw["bbox"] = f"{lat - 0.1},{lng - 0.15},{lat + 0.1},{lng + 0.15}"
    elif where < 0.92:
        raw["postal_code"] = postcode
    elif where < 0.96:
        raw["region"] = region
    if rng.random() < 0.7:
        raw["type"] = rng.sample(TYPES, rng.choice([1, 1, 2]))
    if rng.random() < 0.5:
        raw["listing_type"] = rng.choice(["sale", "sale", "lease"])
    if rng.random() < 0.5:
        raw["price_max"] = str(rng.choice([250_000, 400_000, 600_000, 900_000, 1_500_000]))
    if rng.random() < 0.15:
        raw["price_min"] = str(rng.choice([100_000, 200_000]))
    if rng.random() < 0.3:
        raw["bedrooms_min"] = rng.choice([1, 2, 3, 4])
    if rng.random() < 0.2:
        raw["amenities"] = rng.sample(AMENITIES, rng.choice([1, 2]))
    if rng.random() < 0.1:
        raw["area_min"] = str(rng.choice([50, 80, 500, 2000]))
    return raw


def _ensure_data(count: int) -> dict[str, Any]:
    from common.context import org_context
    from common.models import Profile, Role, User
    from contacts.models import Contact
    from properties.matching.criteria import criteria_clean
    from properties.matching.models import Frequency, SavedSearch
    from tenants.models import Org
    from tenants.orgs.provisioning import org_create

    org = Org.objects.filter(slug=ORG_SLUG).first() or org_create(name="Bench Matching", slug=ORG_SLUG)
    profiles = []
    for n in range(20):
        email = f"matching{n}@bench.test"
        user = User.objects.filter(email=email).first() or User.objects.create_user(email, None, name=f"Agent {n}")
        profiles.append(Profile.objects.get_or_create(user=user, org=org, defaults={"role": Role.MEMBER})[0])
    rng = random.Random(7)
    started = time.perf_counter()
    with org_context(org):
        contacts = list(Contact.objects.values_list("pk", flat=True)[:500])
        if len(contacts) < 500:
            Contact.objects.bulk_create(
                Contact(org=org, first_name=f"Buyer {n}", email=f"buyer{n}@example.com", created_by=rng.choice(profiles),
                        assigned_to=[rng.choice(profiles).pk]) for n in range(500 - len(contacts))
            )  # fmt: skip
            contacts = list(Contact.objects.values_list("pk", flat=True)[:500])
        have = SavedSearch.objects.count()
        batch = []
        for n in range(have, count):
            criteria = criteria_clean(_criteria(rng), org=org)
            is_requirement = rng.random() < 0.2
            owner = rng.choice(profiles)
            batch.append(
                SavedSearch(org=org, name=f"Search {n}", owner=None if is_requirement else owner,
                            contact_id=rng.choice(contacts) if is_requirement else None, created_by=owner,
                            frequency=rng.choice(list(Frequency)), criteria=criteria.shown, **criteria.columns)
            )  # fmt: skip
            if len(batch) == 2000:
                SavedSearch.objects.bulk_create(batch)
                batch = []
        if batch:
            SavedSearch.objects.bulk_create(batch)
        total = SavedSearch.objects.count()
    from django.db import connection

    with org_context(org), connection.cursor() as cursor:
        cursor.execute("ANALYZE property_matching_savedsearch")
    print(f"data: {total} saved searches in one org ({time.perf_counter() - started:.1f} s to ensure)")
    return {"org": org, "agent": profiles[0]}


def _listing(org: Any, agent: Any, rng: random.Random, popular: bool) -> Any:
    """A listing as an agent would enter it; `popular` makes a cheap London flat with common amenities (wanted by
    many searches), otherwise a random one."""
    from decimal import Decimal

    from properties.models import Property

    city, region, postcode, lat, lng = CITIES[0] if popular else rng.choice(CITIES)
    kind = "apartment" if popular else rng.choice(TYPES)
    return Property.objects.create(
        org=org, title=f"Bench listing {secrets.token_hex(3)}", property_type=kind, listing_type="sale",
        status="active", city=city, region=region, postal_code=f"{postcode} {rng.randint(1, 9)}AB",
        latitude=lat + rng.uniform(-0.02, 0.02), longitude=lng + rng.uniform(-0.02, 0.02),
        asking_price=Decimal(150_000 if popular else rng.randrange(100_000, 2_000_000, 5_000)),
        bedrooms=2 if popular else rng.randint(1, 5), floor_area=Decimal(rng.randint(40, 400)),
        floor_area_sqm=Decimal(rng.randint(40, 400)), currency="GBP", amenities=["parking"] if popular else
        sorted(rng.sample(AMENITIES, 3)), created_by=agent, listing_agent=agent, assigned_to=[agent.pk],
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--searches", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    setup()
    from django.db import connection, transaction

    from common.context import org_context
    from properties.matching import services
    from properties.matching.matching import notice_rows, notices_insert
    from properties.matching.models import EventKind, ListingEvent

    made = _ensure_data(args.searches)
    org, agent = made["org"], made["agent"]
    rng = random.Random(11)

    def sample(popular: bool, whole_job: bool) -> tuple[float, int]:
        """One new listing matched in a transaction that is rolled back: (milliseconds, notices made)."""
        with org_context(org), transaction.atomic():
            listing = _listing(org, agent, rng, popular)
            event = ListingEvent.objects.create(org=org, property=listing, kind=EventKind.LISTED, status="active")
            started = time.perf_counter()
            if whole_job:
                found = services.listing_event_match(org=org, event_id=event.pk)
            else:
                found = len(notices_insert(org=org, event=event, listing=listing))
            elapsed = (time.perf_counter() - started) * 1000
            transaction.set_rollback(True)
        return elapsed, found

    print(f"target: matching one new listing against {args.searches:,} saved searches < {TARGET_MS:.0f} ms")
    for label, popular, whole_job in (
        ("statement, a typical listing", False, False),
        ("statement, a popular listing", True, False),
        ("whole job (statement + notifications + emails), a typical listing", False, True),
        ("whole job (statement + notifications + emails), a popular listing", True, True),
    ):
        for _ in range(3):  # warm-up
            sample(popular, whole_job)
        runs = [sample(popular, whole_job) for _ in range(args.repeat)]
        elapsed, found = [ms for ms, _ in runs], sorted(count for _, count in runs)
        ok = "ok" if statistics.median(elapsed) < TARGET_MS else "OVER TARGET"
        print(f"{label:72s} {summary(elapsed)}   matched p50 {found[len(found) // 2]:5d}   {ok}")

    with org_context(org), transaction.atomic():
        listing = _listing(org, agent, rng, True)
        event = ListingEvent.objects.create(org=org, property=listing, kind=EventKind.LISTED, status="active")
        sql, params = notice_rows(org, event, listing).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    print("EXPLAIN ANALYZE of the SELECT (popular listing):")
    for line in plan:
        if "Scan" in line or "Execution Time" in line or "Planning Time" in line or "rows=" in line[:60]:
            print("   ", line.strip()[:150])


if __name__ == "__main__":
    main()
