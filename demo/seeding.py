"""Demo data: every installed module's seeder (its `demo_seeder` in the registry), run in INSTALLED_APPS order."""

from __future__ import annotations

import random
from typing import Any

from common import registry
from common.context import org_context
from common.models import Profile
from demo.context import DemoContext


def seed_org(*, org: Any, leads: int = 50, seed: int = 7) -> dict[str, int]:
    """Run every module's seeder in order. Returns how many records each made."""
    members = list(Profile.objects.filter(org=org, is_active=True, removed_at__isnull=True).select_related("user"))
    ctx = DemoContext(org=org, members=members, rng=random.Random(seed), leads=leads, scale=max(1, leads // 50))
    counts: dict[str, int] = {}
    with org_context(org):
        for seeder in registry.demo_seeders():
            counts.update(seeder(ctx))
        counts["activity entries"] = ctx.timeline.write()
    return counts


def org_has_records(org: Any) -> bool:
    with org_context(org):
        return any(model.objects.exists() for model in registry.record_models().values())
