"""Demo data: each module seeds its own records through a `<app>/demo.py` with `seed(ctx)`; this runs them."""

from __future__ import annotations

import importlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from common.models import Profile


@dataclass
class DemoContext:
    """What every module's seeder gets: the org, its members, a seeded RNG, the scale, and what earlier
    modules made (`made["contacts.contact"]` is a list of ids), so later modules can link to them."""

    org: Any
    members: Sequence[Profile]
    rng: random.Random
    # How many leads to make; every other module's volume grows with it (`scale`, one step per 50 leads).
    leads: int
    scale: int
    made: dict[str, list[Any]] = field(default_factory=dict)

    def member(self) -> Profile:
        return self.rng.choice(list(self.members))

    def some(self, label: str, k: int = 1) -> list[Any]:
        pool = self.made.get(label, [])
        return self.rng.sample(pool, min(k, len(pool))) if pool else []


FIRST_NAMES = [
    "Ava",
    "Noah",
    "Mia",
    "Liam",
    "Zoe",
    "Ethan",
    "Isla",
    "Lucas",
    "Aria",
    "Mateo",
    "Chloe",
    "Omar",
    "Priya",
    "Hiro",
    "Lena",
    "Tariq",
    "Sofia",
    "Jonas",
]
LAST_NAMES = [
    "Patel",
    "Nguyen",
    "Okafor",
    "Schmidt",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Tanaka",
    "Silva",
    "Murphy",
    "Larsen",
    "Dubois",
    "Cohen",
    "Sato",
]
COMPANY_WORDS = [
    "Harbor",
    "Summit",
    "Cedar",
    "Granite",
    "Beacon",
    "Meridian",
    "Oak",
    "Atlas",
    "Crescent",
    "Pioneer",
    "Lakeside",
    "Northgate",
]
COMPANY_KINDS = [
    "Properties",
    "Capital",
    "Developments",
    "Holdings",
    "Realty",
    "Estates",
    "Partners",
    "Retail Group",
]


def seed_org(*, org: Any, leads: int = 50, seed: int = 7) -> dict[str, int]:
    """Run every tenant module's seeder in order. Returns how many records each made."""
    from common.context import org_context

    members = list(Profile.objects.filter(org=org, is_active=True, removed_at__isnull=True).select_related("user"))
    ctx = DemoContext(org=org, members=members, rng=random.Random(seed), leads=leads, scale=max(1, leads // 50))
    counts: dict[str, int] = {}
    with org_context(org):
        for app in settings.TENANT_APPS:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError:
                continue
            counts.update(module.seed(ctx))
    return counts
