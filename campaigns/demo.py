"""Demo campaigns: listings marketed across channels, in every status, with budget lines, spend and a story."""

from __future__ import annotations

import datetime
from decimal import Decimal

from campaigns.models import BudgetLine, BudgetPeriod, Campaign, CampaignStatus, Channel, Objective, SpendEntry
from demo.context import DemoContext

NAMES = ["Spring open house", "Harbour Offices lease-up", "New-build launch", "City centre retail push",
         "Investor roadshow", "Summer lettings", "Warehouse availability blast", "Penthouse sale"]  # fmt: skip
CHANNEL_SETS = [
    [Channel.EMAIL, Channel.FACEBOOK, Channel.INSTAGRAM],
    [Channel.GOOGLE_ADS, Channel.LINKEDIN],
    [Channel.EMAIL, Channel.GOOGLE_ADS, Channel.X],
    [Channel.INSTAGRAM, Channel.SMS],
    [Channel.LINKEDIN, Channel.EMAIL, Channel.WHATSAPP],
]
# (status, days from now to the start, length in days)
PLANS = [
    (CampaignStatus.ACTIVE, -12, 30), (CampaignStatus.ACTIVE, -40, 60), (CampaignStatus.SCHEDULED, 7, 21),
    (CampaignStatus.DRAFT, 20, 45), (CampaignStatus.COMPLETED, -90, 30), (CampaignStatus.PAUSED, -10, 40),
    (CampaignStatus.CANCELLED, -30, 14), (CampaignStatus.ACTIVE, -3, 90),
]  # fmt: skip
# A rate per period for each channel's budget line.
RATES = {BudgetPeriod.DAILY: (20, 150), BudgetPeriod.WEEKLY: (150, 900), BudgetPeriod.MONTHLY: (600, 4000)}
PATHS = {
    CampaignStatus.SCHEDULED: ["scheduled"],
    CampaignStatus.ACTIVE: ["scheduled", "active"],
    CampaignStatus.PAUSED: ["scheduled", "active", "paused"],
    CampaignStatus.COMPLETED: ["scheduled", "active", "completed"],
    CampaignStatus.CANCELLED: ["scheduled", "cancelled"],
}
NOTES = ["Creative approved by the client.", "Facebook audience narrowed to 25-45 within 10 km.",
         "Open house moved to Saturday morning.", "Client asked for weekly pacing updates."]  # fmt: skip


def seed(ctx: DemoContext) -> dict[str, int]:
    rng = ctx.rng
    campaigns: list[Campaign] = []
    for i in range(len(PLANS) * max(1, ctx.scale // 2)):
        status, offset, length = PLANS[i % len(PLANS)]
        owner = ctx.member()
        watchers = sorted({ctx.member().pk for _ in range(2)} - {owner.pk})
        start = (ctx.now + datetime.timedelta(days=offset)).replace(hour=9, minute=0, second=0, microsecond=0)
        campaigns.append(
            Campaign(
                org=ctx.org, name=NAMES[i % len(NAMES)] + (f" {i // len(NAMES) + 1}" if i >= len(NAMES) else ""),
                objective=rng.choice(list(Objective)), channels=list(rng.choice(CHANNEL_SETS)),
                property_ids=ctx.some("properties.property", rng.randint(1, 3)), owner=owner, watchers=watchers,
                starts_at=start, ends_at=start + datetime.timedelta(days=length), status=status,
                currency=ctx.org.currency, description="Marketing plan agreed with the client.",
                created_by=owner, updated_by=owner, assigned_to=[owner.pk],
                tags=rng.sample(["q2", "flagship", "retainer", "launch"], rng.randint(0, 2)),
            )
        )  # fmt: skip
    Campaign.objects.bulk_create(campaigns, batch_size=500)
    lines, spend = _budgets(ctx, campaigns)
    for campaign in ctx.storied(campaigns):
        _story(ctx, campaign)
    ctx.made["campaigns.campaign"] = [campaign.pk for campaign in campaigns]
    return {"campaigns": len(campaigns), "budget lines": len(lines), "spend entries": len(spend)}


def _budgets(ctx: DemoContext, campaigns: list[Campaign]) -> tuple[list[BudgetLine], list[SpendEntry]]:
    rng, lines, entries = ctx.rng, [], []
    today = ctx.now.date()
    for campaign in campaigns:
        paid = [channel for channel in campaign.channels if channel not in (Channel.SMS, Channel.WHATSAPP)]
        for channel in paid:
            period = rng.choice(list(RATES))
            low, high = RATES[period]
            amount = Decimal(rng.randrange(low, high + 1, 5))
            lines.append(BudgetLine(org=ctx.org, campaign=campaign, channel=channel, amount=amount, period=period,
                                    created_by=campaign.owner, updated_by=campaign.owner))  # fmt: skip
            assert campaign.starts_at is not None and campaign.ends_at is not None
            day, last = campaign.starts_at.date(), min(campaign.ends_at.date(), today)
            daily = amount / {BudgetPeriod.DAILY: 1, BudgetPeriod.WEEKLY: 7, BudgetPeriod.MONTHLY: 30}[period]
            while day <= last and campaign.status != CampaignStatus.DRAFT:
                # Spend logged every few days, running a little under or over the plan.
                spent = (daily * 3 * Decimal(rng.uniform(0.7, 1.25))).quantize(Decimal("0.01"))
                entries.append(SpendEntry(org=ctx.org, campaign=campaign, channel=channel, spent_on=day,
                                          amount=spent, note="Platform invoice", created_by=campaign.owner,
                                          updated_by=campaign.owner))  # fmt: skip
                day += datetime.timedelta(days=3)
    return BudgetLine.objects.bulk_create(lines), SpendEntry.objects.bulk_create(entries, batch_size=1000)


def _story(ctx: DemoContext, campaign: Campaign) -> None:
    owner, timeline = campaign.owner, ctx.timeline
    assert campaign.starts_at is not None
    when = min(campaign.starts_at - datetime.timedelta(days=5), ctx.now - datetime.timedelta(days=3))
    timeline.created(campaign, owner, when)
    old = "draft"
    for status in PATHS.get(CampaignStatus(campaign.status), []):
        when = ctx.later(when)
        timeline.log(campaign, owner, "status_changed", {"status": [old, status]}, when)
        old = status
    if ctx.rng.random() < 0.6:
        timeline.comment(campaign, ctx.member(), ctx.rng.choice(NOTES), ctx.later(when))
