"""Demo deals across the default pipeline's stages (bulk inserts, so `--scale` stays fast)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from deals.models import Deal, Stage, StageKind
from deals.pipeline_services import pipeline_ensure_default
from demo.context import DemoContext

DEAL_KINDS = ["Office lease", "Retail unit", "Warehouse let", "Portfolio sale", "Flat sale", "Marketing retainer"]
LOST_REASONS = ["Went with another agency", "Budget cut", "Timing", "Price"]
# More deals early in the funnel than at the end, as in a real pipeline.
STAGE_WEIGHTS = [6, 5, 4, 3, 2, 2]
NOTES = [
    "Heads of terms sent over, waiting on their solicitor.",
    "They asked for a six-month rent-free period; countered with three.",
    "Second viewing went well, the CFO joins the next call.",
    "Valuation came back in line with the asking price.",
]


def seed(ctx: DemoContext) -> dict[str, int]:
    rng = ctx.rng
    pipeline = pipeline_ensure_default(org=ctx.org)
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    weights = (STAGE_WEIGHTS + [1] * len(stages))[: len(stages)]
    now = timezone.now()
    today = now.date()
    deals = []
    for i in range(20 * ctx.scale):
        stage = rng.choices(stages, weights=weights)[0]
        owner = ctx.member()
        contact = ctx.some("contacts.contact")
        company = ctx.some("contacts.company")
        is_closed = stage.kind != StageKind.OPEN
        deals.append(
            Deal(
                org=ctx.org, name=f"{rng.choice(DEAL_KINDS)} {i + 1}",
                amount=Decimal(rng.randrange(5, 500) * 1000), currency=ctx.org.currency, pipeline=pipeline,
                stage=stage, expected_close_date=today + datetime.timedelta(days=rng.randrange(-30, 120)),
                contact_id=contact[0] if contact else None, company_id=company[0] if company else None,
                owner=owner, created_by=owner, updated_by=owner, assigned_to=[owner.pk],
                tags=rng.sample(["hot", "referral", "renewal", "priority"], rng.randrange(0, 3)),
                closed_at=now - datetime.timedelta(days=rng.randrange(1, 60)) if is_closed else None,
                lost_reason=rng.choice(LOST_REASONS) if stage.kind == StageKind.LOST else "",
            )
        )  # fmt: skip
    Deal.objects.bulk_create(deals, batch_size=1000)
    for deal in ctx.storied(deals):
        _story(ctx, deal, stages[0])
    ctx.made["deals.deal"] = [deal.pk for deal in deals]
    return {"deals": len(deals)}


def _story(ctx: DemoContext, deal: Deal, first: Stage) -> None:
    """Created in the first stage, then one move to where the deal is now (dated when it closed, if it did)."""
    owner, timeline = deal.created_by, ctx.timeline
    when = ctx.started()
    if deal.closed_at is not None:
        when = min(when, deal.closed_at - datetime.timedelta(days=1))
    timeline.created(deal, owner, when)
    if deal.stage_id != first.pk:
        moved = deal.closed_at or ctx.later(when)
        changes: dict[str, list] = {
            "stage": [first.name, deal.stage.name],
            "stage_id": [str(first.pk), str(deal.stage_id)],
        }
        if deal.closed_at is not None:
            changes["closed_at"] = [None, deal.closed_at.isoformat()]
        if deal.lost_reason:
            changes["lost_reason"] = ["", deal.lost_reason]
        timeline.log(deal, owner, "stage_changed", changes, moved)
        when = moved
    if ctx.rng.random() < 0.6:
        timeline.comment(deal, owner, ctx.rng.choice(NOTES), ctx.later(when))
